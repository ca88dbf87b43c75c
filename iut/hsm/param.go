package hsm

/*
#include <stdlib.h>
*/
import "C"

import (
	"encoding/binary"
	"unsafe"
)

// stringData returns a CK_KEY_DERIVATION_STRING_DATA parameter (a pointer
// and a CK_ULONG length) whose data lives in C memory, as the module reads
// it during the call; free releases that memory. (probes/pkcs11 has the
// same helper; iut/ does not import probes/.)
func stringData(data []byte) (param []byte, free func()) {
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
