// Package fileopstest holds the filesystems that prove the fileops package
// crash-safe, for its own tests and for anyone who builds on it or
// implements fileops.FS.
//
// # Composing with it
//
// Fail the n-th filesystem call, for every n, and check what each failure
// leaves after recovery:
//
//	efs := fileopstest.NewErrorFS(fileops.OS())
//	d, _ := fileops.Open(dir, fileops.Options{FS: efs, Logger: logger, DirMode: 0o755})
//	for n := 0; ; n++ {
//		efs.Inject(fileopstest.Injection{At: n})
//		err := d.WriteFile(ctx, "config.json", data, 0o644)
//		efs.Disarm()
//		... reopen (which recovers), check the old or the new content is there
//		if efs.Injected() == 0 { break } // ran to the end: every step was failed once
//	}
//
// Cut the power at any point, or after the operation returned, and check
// what survived: [CrashFS] is an in-memory filesystem that keeps only what
// was fsynced ([CrashFS.Crash]) or a random part of what was not
// ([CrashFS.CrashRandom]). Combined with an [ErrorFS] whose [Injection] is
// Sticky, it stops an operation at every call and then loses power.
//
// [NoAtomicRenames] hides renameat2's flags, so the fallbacks (ReplaceDir's
// two-step rename) run on any machine. [Snapshot] turns a tree into a map
// for comparisons.
//
// # Extending it
//
// An implementation of fileops.FS runs [Run], the conformance suite that
// checks what the package relies on: error kinds, exclusive creation,
// sorted listings, renames with and without replacing, exchange, sync and
// locks.
//
// # What it deliberately does not do
//
// CrashFS models no symbolic links, hard links, ownership or timestamps,
// and it does not enforce permissions. It models crashes at the level
// POSIX describes, not the behaviour of one filesystem: real filesystems
// keep more (ext4 commits a file's directory entry with the file's fsync,
// for example), so code that passes against CrashFS is safe on them, while
// code that passes on them may fail here. ErrorFS fails calls; it does not
// corrupt data that was written successfully.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - CrashFS: power cut right after a write: a durable write survives, an
//     atomic-only one may come back old, never torn.
//   - ErrorFS: a disk that fills in the middle of a write: the error says
//     where, and the old content is intact.
package fileopstest
