//go:build !unix

package fileops

// oNonBlock is zero where opening a file never waits for a peer the way a
// Unix FIFO does.
const oNonBlock = 0
