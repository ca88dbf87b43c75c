# paycert — the two commands of the README.
#   make demo   builds certify and tests the embedded reference cloud card
#   make test   runs every test (unit, suites, CLI end to end, real pcscd,
#               real SoftHSM2 tokens)
# Both install the Debian packages they need when missing.

GO ?= go
export PATH := $(PATH):/usr/local/go/bin:/usr/sbin

.PHONY: demo test setup build lint bench fuzz

setup:
	@bash scripts/setup-debian

build: setup
	$(GO) build -o bin/certify ./cmd/certify

demo: build
	./bin/certify run

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: setup lint
	bash scripts/with-pcscd $(GO) test -race -count=1 ./...

bench: setup
	bash scripts/with-pcscd $(GO) test -run='^$$' -bench=. -benchmem ./...

# Short fuzzing of every parser; found inputs land in testdata/fuzz.
fuzz:
	bash scripts/fuzz-all 20s
