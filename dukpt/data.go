package dukpt

import (
	"crypto/cipher"
	"fmt"
)

// EncryptData encrypts data in CBC mode with a zero IV under k (TDEA for
// TDES keys, AES for AES keys), after zero-filling it to a multiple of the
// block size (8 or 16 bytes). Empty data is encrypted as one block of zeros
// (the way ISO/IEC 9797-1 padding method 1 treats empty data). The padding
// is not removable unambiguously; callers must carry the length.
//
// A zero IV is what the DUKPT test data and most terminals use; it leaks
// equality of leading blocks under the same key, which DUKPT mitigates by
// changing the key every transaction.
func EncryptData(k Key, data []byte) ([]byte, error) {
	c, err := k.Cipher()
	if err != nil {
		return nil, fmt.Errorf("dukpt: encrypt data: %w", err)
	}
	bs := c.BlockSize()
	n := (len(data) + bs - 1) / bs * bs
	if n == 0 {
		n = bs
	}
	out := make([]byte, n)
	copy(out, data)
	iv := make([]byte, bs)
	cipher.NewCBCEncrypter(c, iv).CryptBlocks(out, out)
	return out, nil
}

// DecryptData decrypts CBC ciphertext (zero IV) under k. The ciphertext must
// be a non-empty multiple of the block size. The zero fill added by
// EncryptData is returned as part of the plaintext.
func DecryptData(k Key, ciphertext []byte) ([]byte, error) {
	c, err := k.Cipher()
	if err != nil {
		return nil, fmt.Errorf("dukpt: decrypt data: %w", err)
	}
	bs := c.BlockSize()
	if len(ciphertext) == 0 || len(ciphertext)%bs != 0 {
		return nil, fmt.Errorf("dukpt: decrypt data: ciphertext length %d is not a positive multiple of %d", len(ciphertext), bs)
	}
	out := make([]byte, len(ciphertext))
	iv := make([]byte, bs)
	cipher.NewCBCDecrypter(c, iv).CryptBlocks(out, ciphertext)
	return out, nil
}
