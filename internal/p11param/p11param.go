// Package p11param builds PKCS#11 mechanism parameters that hold pointers
// into C memory, which github.com/miekg/pkcs11 passes to the module as raw
// bytes. It serves the reference HSM's set-up (iut/hsm) and the pkcs11:
// probe (probes/pkcs11) alike.
package p11param

/*
#include <stdlib.h>
*/
import "C"

import (
	"encoding/binary"
	"unsafe"
)

// StringData returns a CK_KEY_DERIVATION_STRING_DATA parameter (a pointer
// and a CK_ULONG length) whose data lives in C memory, as the module reads
// it during the call; free releases that memory. CK_ULONG is the size of a
// pointer on the platforms paycert runs on (LP64 and ILP32).
func StringData(data []byte) (param []byte, free func()) {
	p := C.CBytes(data)
	param = make([]byte, 2*unsafe.Sizeof(uintptr(0)))
	if unsafe.Sizeof(uintptr(0)) == 8 {
		binary.NativeEndian.PutUint64(param, uint64(uintptr(p)))
		binary.NativeEndian.PutUint64(param[8:], uint64(len(data)))
	} else {
		binary.NativeEndian.PutUint32(param, uint32(uintptr(p)))
		binary.NativeEndian.PutUint32(param[4:], uint32(len(data)))
	}
	return param, func() { C.free(p) }
}
