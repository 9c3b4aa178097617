package fileops

import (
	"io/fs"
	"log/slog"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/telemetry"
)

// PermPolicy decides the mode of a file that replaces its destination.
type PermPolicy string

// The permission policies.
const (
	// PermUmask creates the file with FileOptions.Mode minus the process
	// umask, as os.WriteFile does for a new file. It is the default.
	PermUmask PermPolicy = "umask"
	// PermExisting gives the new file the mode of the regular file it
	// replaces (permission, setuid, setgid and sticky bits; not the owner,
	// which needs privileges to set), and behaves as PermUmask when there
	// is no regular file to copy it from.
	PermExisting PermPolicy = "existing"
	// PermStatic gives the new file exactly FileOptions.Mode, whatever the
	// umask.
	PermStatic PermPolicy = "static"
)

// Durability decides whether replacing a file waits for its directory to
// reach the disk.
type Durability string

// The durability levels.
const (
	// Durable fsyncs the file before the rename and its directory after:
	// once the call returns, the new content survives a power loss. It is
	// the default and costs two fsyncs.
	Durable Durability = "durable"
	// AtomicOnly fsyncs the file before the rename but not the directory
	// after: readers, and the disk after a power loss, see the old or the
	// new content, never a torn mix, but a power loss soon after the call
	// returns may bring the old content back. It costs one fsync; use it
	// when something else syncs the directory later, such as a [Batch].
	AtomicOnly Durability = "atomic-only"
)

// FileOptions configures how [NewPendingFile] and [Batch] replace files.
type FileOptions struct {
	// Mode is the new file's mode: the permission bits, optionally with
	// setuid, setgid and sticky. PermUmask subtracts the umask from it;
	// PermStatic uses it as is; PermExisting uses it only when there is no
	// regular file to copy the mode from. Zero means no permissions at
	// all, which is rarely wanted: start from DefaultFileOptions.
	Mode fs.FileMode `usage:"mode of replaced files, e.g. 0644"`
	// Perm is the permission policy: "umask", "existing" or "static".
	Perm PermPolicy `usage:"permission policy: umask, existing or static"`
	// Durability is "durable" or "atomic-only". A Batch ignores it: its
	// files are atomic until Commit makes them durable together.
	Durability Durability `usage:"durable (fsync file and directory) or atomic-only (fsync file only)"`
}

// DefaultFileOptions returns options for a durable replace with mode 0644
// minus the umask.
func DefaultFileOptions() FileOptions {
	return FileOptions{Mode: 0o644, Perm: PermUmask, Durability: Durable}
}

const modeBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// Validate reports every field that is not usable.
func (o FileOptions) Validate() error {
	var c options.Collector
	options.Check(&c, o.Mode&^modeBits == 0, "Mode", o.Mode,
		"must hold only permission, setuid, setgid and sticky bits")
	options.Check(&c, o.Perm == PermUmask || o.Perm == PermExisting || o.Perm == PermStatic,
		"Perm", string(o.Perm), `must be "umask", "existing" or "static"`)
	options.Check(&c, o.Durability == Durable || o.Durability == AtomicOnly,
		"Durability", string(o.Durability), `must be "durable" or "atomic-only"`)
	return c.Err()
}

// Options configures a [Dir] opened with [Open].
type Options struct {
	// FS is the filesystem the directory lives in. Nil means the operating
	// system's, with every name confined to the directory through
	// [os.Root], so that no name, symbolic link or ".." can reach outside
	// it. A non-nil FS (a fault-injecting or in-memory filesystem from
	// fileopstest, or a wrapper that counts calls) is given the
	// directory's path joined to each name; names are still checked
	// lexically, but symbolic links are the FS's business.
	FS FS `json:"-" options:"-"`
	// Logger receives a record for each recovery action at Open and for
	// clean-ups that failed after an operation had succeeded (which leave
	// temporary names for the next recovery). It must not be nil; the
	// default discards.
	Logger *slog.Logger `json:"-" options:"-"`
	// Telemetry receives a span per operation (see events.go). Nil means
	// telemetry.Default() as it is when Open runs, which is itself nil (no
	// events) unless the program installed one.
	Telemetry *telemetry.Registry `json:"-" options:"-"`
	// DirMode is the mode, before umask, of the directories that CreateDir
	// and ReplaceDir create. It must give the owner read, write and search
	// permission (0700), which filling and removing the directory need.
	DirMode fs.FileMode `usage:"mode of created directories before umask, e.g. 0755"`
	// CreateMissing makes Open create the directory, and its missing
	// parents, with DirMode when it does not exist, and fsync each new
	// directory's parent. It is off by default: a mistyped path then fails
	// at startup instead of starting with an empty directory.
	CreateMissing bool `usage:"create the directory and its missing parents at open"`
}

// DefaultOptions returns options for the operating system's filesystem,
// no logging, the default telemetry registry and directories created with
// mode 0755 minus the umask.
func DefaultOptions() Options {
	return Options{
		Logger:  slog.New(slog.DiscardHandler),
		DirMode: defaultDirMode,
	}
}

const defaultDirMode fs.FileMode = 0o755

// Validate reports every field that is not usable.
func (o Options) Validate() error {
	var c options.Collector
	options.NotNil(&c, "Logger", o.Logger)
	options.Check(&c, o.DirMode&^fs.ModePerm == 0 && o.DirMode&0o700 == 0o700, "DirMode", o.DirMode,
		"must hold only permission bits, including 0700")
	return c.Err()
}
