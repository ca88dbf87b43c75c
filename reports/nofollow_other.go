//go:build !unix

package reports

const noFollow = 0
