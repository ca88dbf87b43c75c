package main

import (
	"io"
	"net"

	"github.com/spf13/cobra"

	"github.com/paycert/paycert/iut/hostile"
)

// hostileCardConn returns the connection wrapper of a hostile card fault
// (iut/hostile), or nil when fault is not one.
func hostileCardConn(fault string) func(net.Conn) net.Conn {
	if !hostile.IsCard(fault) {
		return nil
	}
	return func(c net.Conn) net.Conn {
		hc, _ := hostile.CardConn(c, fault)
		return hc
	}
}

// hostAdapterFault splits a serve tsp|pinpad --fault value into the IUT's
// own fault and a hostile adapter fault (iut/hostile), at most one of
// which is set.
func hostAdapterFault(fault string) (own, adapterFault string) {
	if hostile.IsAdapter(fault) {
		return "", fault
	}
	return fault, ""
}

// hostileListener applies a hostile adapter fault to every connection l
// accepts (none when fault is "").
func hostileListener(l net.Listener, fault string) net.Listener {
	if fault == "" {
		return l
	}
	hl, _ := hostile.AdapterListener(l, fault)
	return hl
}

// hostileStdio applies a hostile adapter fault to standard input and
// output (none when fault is "").
func hostileStdio(rw io.ReadWriter, fault string) io.ReadWriter {
	if fault == "" {
		return rw
	}
	h, _ := hostile.AdapterRW(rw, fault)
	return h
}

// addTagFlag adds the hidden --tag flag to a serve command: its value is
// ignored, so that a test can mark the command line of a process it
// starts and then find out whether it is still alive.
func addTagFlag(c *cobra.Command) {
	c.Flags().String("tag", "", "ignored; marks the process's command line")
	c.Flags().MarkHidden("tag")
}
