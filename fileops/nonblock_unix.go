//go:build unix

package fileops

import "syscall"

// oNonBlock is added to every open that only reads or locks, so that a
// FIFO or a device opens at once instead of waiting for a peer (a writer,
// a carrier); the caller then refuses it by its type. Regular files and
// directories ignore the flag.
const oNonBlock = syscall.O_NONBLOCK
