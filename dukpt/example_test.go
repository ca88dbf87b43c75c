package dukpt_test

import (
	"fmt"

	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/dukpt/pinblock"
)

// The host side of TDES DUKPT with the X9.24-1:2009 A.4 test data: derive
// the PIN key for a KSN and decrypt the PIN block the terminal sent.
func Example_tdesHost() {
	bdk, _ := dukpt.ParseKey(dukpt.TDES2, "0123456789ABCDEFFEDCBA9876543210")
	ksn, _ := dukpt.ParseTDESKSN("FFFF9876543210E00001")
	ipek, _ := dukpt.DeriveTDESIPEK(bdk, ksn)
	tk, _ := dukpt.DeriveTDESTransactionKey(ipek, ksn)
	pinKey, _ := tk.WorkingKey(dukpt.VariantPIN)
	c, _ := pinKey.Cipher()

	encrypted := []byte{0x1B, 0x9C, 0x18, 0x45, 0xEB, 0x99, 0x3A, 0x7A} // A.4.2, counter 1
	pin, format, err := pinblock.Decrypt(c, encrypted, "4012345678909")
	fmt.Println(pin, format, err)
	fmt.Println(bdk, ipek) // keys print only their type and KCV
	// Output:
	// 1234 0 <nil>
	// TDES2Key(KCV 08D7B4) TDES2Key(KCV AF8C07)
}

// A simulated PIN pad: the device derives its keys from future key
// registers, never from the IPEK directly.
func ExampleTDESDevice() {
	ipek, _ := dukpt.ParseKey(dukpt.TDES2, "6AC292FAA1315B4D858AB3A3D7D5933A")
	iksn, _ := dukpt.ParseTDESKSN("FFFF9876543210E00000")
	var pinpad dukpt.TDESDevice
	if err := pinpad.LoadInitialKey(ipek, iksn); err != nil {
		panic(err)
	}
	for i := 0; i < 3; i++ {
		ksn, _, _ := pinpad.Next()
		fmt.Println(ksn)
	}
	fmt.Println(pinpad)
	// Output:
	// FFFF9876543210E00001
	// FFFF9876543210E00002
	// FFFF9876543210E00003
	// TDESDevice(next KSN FFFF9876543210E00004)
}

// AES DUKPT with the X9.24-3:2017 supplement's AES-128 BDK.
func Example_aesHost() {
	bdk, _ := dukpt.ParseKey(dukpt.AES128, "FEDCBA9876543210F1F1F1F1F1F1F1F1")
	ksn, _ := dukpt.ParseAESKSN("123456789012345600000001")
	tk, _ := dukpt.DeriveAESTransactionKeyFromBDK(bdk, ksn)
	pinKey, _ := tk.WorkingKey(dukpt.KeyUsagePINEncryption, dukpt.AES128)
	_, err := tk.WorkingKey(dukpt.KeyUsagePINEncryption, dukpt.AES256)
	fmt.Println(pinKey.Type(), err)
	// Output:
	// AES128 dukpt: AES working key: AES256 from AES128 derivation key: dukpt: working key stronger than its derivation key
}
