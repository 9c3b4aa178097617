// Package fileops makes file and directory operations crash-safe: new
// content is built under a temporary name, fsynced, renamed into place, and
// the parent directory fsynced; what a crash interrupts is cleaned up, or
// finished, by a recovery that reports what it did.
//
// It follows Prometheus TSDB, which builds a block in "<ulid>.tmp-for-creation"
// and deletes one through "<ulid>.tmp-for-deletion" (tsdb/db.go,
// tsdb/compact.go, tsdb/fileutil), and google/renameio and natefinch/atomic
// for single files. Unlike them it has directory operations as an API, a
// recovery that returns a report, a filesystem seam for fault injection,
// and tests that cut the power at every step (see "How it is tested").
//
// # Composing with it
//
// The call most programs need replaces a file:
//
//	err := fileops.WriteFile("/etc/app/config.json", data, 0o644)
//
// Readers see the old or the new content, never a mix, and once WriteFile
// returns nil the new content survives a power loss. Content written in
// pieces goes through a [PendingFile] ([NewPendingFile], then
// CloseAtomicallyReplace; defer Cleanup); many files in one directory
// through a [Batch], which pays one directory fsync for all of them.
// [FileOptions] chooses the mode (umask, the replaced file's, or exact)
// and the durability ([Durable] or [AtomicOnly]).
//
// Directories are built under a temporary name and published whole:
//
//	err := fileops.CreateDir(blockDir, func(tmp string) error {
//		return writeBlock(tmp) // plain os calls; CreateDir fsyncs the tree
//	})
//
// [ReplaceDir] swaps a directory for a new one in one atomic step where the
// filesystem can exchange names, and otherwise in two steps that recovery
// can always complete; [RemoveDir] makes a directory disappear at once and
// deletes its content afterwards.
//
// A program that owns a data directory opens it at startup:
//
//	d, err := fileops.Open(dataDir, opts) // lock, then recover
//	...
//	log.Info("recovered", "report", d.Recovered())
//	data, err := d.ReadFile(ctx, "state.json") // what the last run left, whole
//	...
//	err = d.WriteFile(ctx, "state.json", data, 0o644)
//
// [Open] takes the directory's lock ([Lock]; [ErrLocked] if another
// process has it), then runs [Recover], then returns a [Dir] whose methods
// take names relative to the directory and cannot leave it ([os.Root]
// refuses "..", absolute names and symbolic links that lead outside).
// Prometheus cleans up before it locks, so a second process can delete the
// temporary directories of a running one; Open cannot. The package-level
// functions take ordinary paths, use the operating system's filesystem
// unconfined, report to telemetry.Default(), and leave locking and
// recovery to the caller.
//
// Errors are [*OpError] values naming the operation, the step that failed
// and the path; [ErrExist], [ErrIsDir], [ErrNotDir], [ErrInvalidName],
// [ErrLocked], [ErrUnsupported] and [ErrSyncFailed] classify them. Every
// failure leaves the old content or the new content, plus at most
// temporary names for the next recovery.
//
// # What POSIX promises, and what each fsync is for
//
// rename(2) replaces a name atomically for running processes: an open(2)
// finds the old file or the new one. POSIX says nothing about what a crash
// leaves, and nothing reaches the disk in a promised order unless fsync
// separated it; filesystems exploit that (ext4's delayed allocation, for
// one, made "write, rename, no fsync" produce empty files after crashes;
// Pillai et al., "All File Systems Are Not Created Equal", OSDI 2014).
// So every operation here pairs each rename with two fsyncs:
//
//   - before the rename, an fsync of what is being renamed: a file's data,
//     or for a directory every regular file and every directory in the
//     tree (children first). Without it a crash can leave the final name
//     pointing at an empty or partial file, or a directory missing entries;
//   - after the rename, an fsync of the parent directory, because the
//     rename is a change of the parent, and fsync of a file does not make
//     its directory entry durable (ext4 often does; POSIX does not say so).
//     Without it the old name can come back after a power loss.
//
// WriteFile costs 2 fsyncs; [AtomicOnly] skips the second (1); a Batch of
// N files costs N + 1; CreateDir and ReplaceDir cost one per regular file
// and directory in the new tree plus one; RemoveDir costs 1, issued after
// the rename and before any content is deleted, so that a crash can never
// leave a half-emptied directory under the old name. [Recover] fsyncs a
// directory after rolling a replacement forward or back and before it
// removes the other copy.
//
// ReplaceDir, where the filesystem lacks an atomic exchange, moves the old
// copy to "<name>.tmp-for-replacement" only after the new copy is complete
// and synced, then renames the new copy in. A crash in between leaves the
// name missing but both copies present, and recovery publishes the new one
// (or, if there is no new one, restores the old). Prometheus's
// fileutil.Replace removes the old directory before renaming the new one,
// a window in which a crash loses both; this package has no such window.
//
// A failed fsync is not retried, and [ErrSyncFailed] says so: after one,
// the kernel may have dropped the unwritten pages and cleared the error, so
// a second fsync can succeed with the data gone (the 2018 "fsyncgate"
// finding in PostgreSQL). The operation fails; write again from your own
// copy of the data, and suspect the disk.
//
// # Platforms
//
// Linux renames with renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE) and
// locks with flock. macOS renames with renamex_np (RENAME_EXCL,
// RENAME_SWAP), and Go's File.Sync there issues F_FULLFSYNC, which also
// flushes the drive's cache. Where a filesystem refuses the flags, the
// package falls back to checking, then renaming, and to ReplaceDir's two
// steps. Other Unix systems use rename(2) and flock. Windows is best
// effort: renames use MoveFileEx with MOVEFILE_WRITE_THROUGH and retry for
// about 130 ms when another program briefly holds a file (sharing
// violations from scanners and indexers); directories are flushed through
// a handle opened with FILE_FLAG_BACKUP_SEMANTICS, and a flush Windows
// refuses is skipped (NTFS journals its metadata); there is no atomic
// exchange, so ReplaceDir takes two steps; locks use LockFileEx; a Dir's
// renames are confined by the lexical checks of its names only.
//
// # How it is tested
//
// The fileopstest package holds the tools: ErrorFS fails the n-th call of
// any filesystem, CrashFS is an in-memory filesystem that loses unsynced
// data and unsynced directory changes at a power cut. This package's tests
// fail every call of every operation in turn on real files, then recover
// and check the tree is exactly the old or the new one without temporary
// names; cut the power at every call under three crash models; cut it
// again at every call of the recovery; remove each fsync of each operation
// in turn and check the crash test then fails (so every fsync is needed
// and the test would notice one going missing); and SIGKILL child
// processes hundreds of times in the middle of their operations
// (-fileops.kills sets how many).
//
// # Extending it
//
// Everything goes through the [FS] interface (fs.go): wrap it to count,
// trace or slow down calls, or implement it for another storage, and run
// fileopstest.Run, the conformance suite, against the implementation.
// Observe the operations by attaching a telemetry handler to the spans in
// events.go, which carry the bytes written and the fsyncs issued. Programs
// that list a directory managed here skip temporary names with
// [ParseTempName].
//
// # What it deliberately does not do
//
// It replaces whole files and whole directories; it does not edit in
// place, append durably, or make changes in several directories atomic
// together (that needs a log, which is a database's job). It keeps a file's
// mode on request but not its owner, extended attributes or ACLs. It puts
// temporary files in the destination's directory, the only place a rename
// into the destination is sure to work, instead of probing TMPDIR on every
// call as renameio does. It creates no missing parent directories, except
// the directory given to [Open] when [Options].CreateMissing asks for it. The
// package-level functions do not lock or recover; [Open] does both. Locks
// are advisory and bind only processes that take them. It cannot make a
// disk that acknowledges writes it has not stored keep them, and it does
// not retry a failed fsync. Recovery never follows a symbolic link and
// touches only names this package creates, with the types it gives them.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - WriteFile: a configuration file replaced so that a crash leaves the old
//     or the new version, never a torn one.
//   - Open: a data directory locked at startup, with what crashed operations
//     left cleaned up and logged.
//   - Open (createMissing): a data directory that may not exist yet, created
//     by Open when Options.CreateMissing asks for it.
//   - Dir.CreateDir: a directory built under a temporary name, published
//     whole, and later replaced whole.
//   - NewPendingFile: content streamed into a file that replaces its
//     destination once complete, keeping the destination's permissions.
//   - NewBatch: many files of one directory replaced for one directory fsync.
//   - ParseTempName: temporary names skipped when listing a directory this
//     package writes to.
package fileops
