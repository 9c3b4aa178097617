package fileops

import "github.com/ecopatterns/ecopatterns/telemetry"

// The spans the operations emit. Every stop and exception event carries
// the measurement "fsyncs", the number of fsyncs the operation issued (on
// failure, those issued before it failed). Package-level functions report
// to telemetry.Default() as it is when they are called; a [Dir] reports to
// its Options.Telemetry.
var (
	// WriteSpan covers WriteFile, and CloseAtomicallyReplace of a
	// PendingFile (including those of a Batch). Metadata: "path",
	// "durability". Measurements: "bytes" (the new content's size),
	// "fsyncs" (2 when durable, 1 when atomic-only or in a batch).
	WriteSpan = telemetry.MustSpanName("ecopatterns.fileops.write")
	// BatchCommitSpan covers Batch.Commit. Metadata: "dir".
	// Measurements: "files" (files replaced since the previous commit),
	// "fsyncs" (1).
	BatchCommitSpan = telemetry.MustSpanName("ecopatterns.fileops.batch.commit")
	// CreateDirSpan covers CreateDir, including the fill function.
	// Metadata: "path". Measurements: "bytes" and "files" (the regular
	// files synced), "fsyncs" (files + directories in the new tree + 1).
	CreateDirSpan = telemetry.MustSpanName("ecopatterns.fileops.dir.create")
	// ReplaceDirSpan covers ReplaceDir, including the fill function.
	// Metadata: "path", and on stop "method": "exchange" (one atomic
	// exchange), "two-step" (old copy moved aside, new copy renamed in) or
	// "create" (there was nothing to replace). Measurements as
	// CreateDirSpan.
	ReplaceDirSpan = telemetry.MustSpanName("ecopatterns.fileops.dir.replace")
	// RemoveDirSpan covers RemoveDir. Metadata: "path". Measurements:
	// "fsyncs" (1).
	RemoveDirSpan = telemetry.MustSpanName("ecopatterns.fileops.dir.remove")
	// RecoverSpan covers Recover and the recovery Open runs. Metadata:
	// "dir". Measurements: "actions" (things found and handled), "failed"
	// (actions that failed), "fsyncs".
	RecoverSpan = telemetry.MustSpanName("ecopatterns.fileops.recover")
)
