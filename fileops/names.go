package fileops

import (
	"strings"
	"unicode/utf8"
)

// Kind says what a temporary name holds: which interrupted operation left
// it behind. The string values are the markers in the names.
type Kind string

const (
	// KindTempFile is a file being written by [WriteFile], a
	// [PendingFile] or a [Batch]: ".<name>.tmp-for-write-<16 hex digits>",
	// in the destination's directory. The name starts with a dot so that
	// directory listings and globs skip it. A crash leaves it unfinished;
	// recovery removes it.
	KindTempFile Kind = "tmp-for-write"
	// KindCreation is a directory being built by [CreateDir] or
	// [ReplaceDir]: "<name>.tmp-for-creation", the name Prometheus TSDB
	// uses. It is never visible under the destination's name before it is
	// complete and synced, so recovery removes it (unless a replacement
	// was half done; see KindReplacement). After an exchange it briefly
	// holds the old copy, which recovery removes as well.
	KindCreation Kind = "tmp-for-creation"
	// KindDeletion is a directory being removed by [RemoveDir]:
	// "<name>.tmp-for-deletion". It is already gone from the caller's
	// point of view; recovery finishes removing it.
	KindDeletion Kind = "tmp-for-deletion"
	// KindReplacement is the old copy of a directory that [ReplaceDir]
	// moved aside on a filesystem without an atomic exchange:
	// "<name>.tmp-for-replacement". When the destination is missing,
	// recovery rolls forward (publishes the complete new copy from
	// "<name>.tmp-for-creation") or, if there is none, rolls back (moves
	// the old copy back); when the destination exists, it removes the old
	// copy.
	KindReplacement Kind = "tmp-for-replacement"
)

const (
	writeMarker       = "." + string(KindTempFile) + "-"
	creationSuffix    = "." + string(KindCreation)
	deletionSuffix    = "." + string(KindDeletion)
	replacementSuffix = "." + string(KindReplacement)

	// randDigits is the number of hexadecimal digits at the end of a
	// temporary file's name.
	randDigits = 16
	// maxNameLen is the longest file name in bytes that common
	// filesystems accept (NAME_MAX on Linux and the BSDs).
	maxNameLen = 255
	// maxTempBase is how much of a destination's name a temporary file's
	// name keeps: a longer name is cut, which is harmless because
	// recovery removes temporary files without needing their
	// destination's name.
	maxTempBase = maxNameLen - 1 - len(writeMarker) - randDigits
	// maxDirBase is the longest directory name the directory operations
	// accept: their temporary names add a suffix, which must still fit.
	maxDirBase = maxNameLen - len(replacementSuffix)
)

// ParseTempName reports whether name (one directory entry, not a path) is
// a temporary name this package creates, which kind, and the name of the
// destination it belongs to. For a [KindTempFile] the destination's name
// may be cut short (names are limited to 255 bytes).
//
// Names need not be UTF-8: the package accepts any name the operating
// system accepts (on Unix, any bytes but '/' and NUL), as files with
// names in older encodings exist and must stay writable and recoverable.
// Every temporary name it builds for an accepted name, cut or not,
// parses back here, so recovery finds it.
//
// Programs that list a directory managed with this package use it to skip
// temporaries, the way Prometheus skips block directories with a tmp
// suffix. It never matches the lock file.
func ParseTempName(name string) (base string, kind Kind, ok bool) {
	if base, ok := parseTempFile(name); ok {
		return base, KindTempFile, true
	}
	for _, k := range [...]struct {
		suffix string
		kind   Kind
	}{
		{creationSuffix, KindCreation},
		{deletionSuffix, KindDeletion},
		{replacementSuffix, KindReplacement},
	} {
		if b, found := strings.CutSuffix(name, k.suffix); found && validTempBase(b) {
			return b, k.kind, true
		}
	}
	return "", "", false
}

// parseTempFile parses ".<base>.tmp-for-write-<16 lowercase hex digits>".
func parseTempFile(name string) (string, bool) {
	if len(name) < 1+1+len(writeMarker)+randDigits || name[0] != '.' {
		return "", false
	}
	digits := name[len(name)-randDigits:]
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	rest := name[1 : len(name)-randDigits]
	base, found := strings.CutSuffix(rest, writeMarker)
	if !found || !validTempBase(base) {
		return "", false
	}
	return base, true
}

// validTempBase reports whether b could be the destination part of a
// temporary name: not empty, not "." or "..", no slash or NUL (which no
// directory entry holds).
func validTempBase(b string) bool {
	return b != "" && b != "." && b != ".." && !strings.ContainsAny(b, "/\x00")
}

// tempFileName returns the name of a temporary file for destination base
// with random part r. Any base that checkName accepts gives a name that
// ParseTempName recognises, whatever its bytes: FuzzTempNames checks it.
func tempFileName(base string, r uint64) string {
	base = cutBase(base, maxTempBase)
	var b strings.Builder
	b.Grow(1 + len(base) + len(writeMarker) + randDigits)
	b.WriteByte('.')
	b.WriteString(base)
	b.WriteString(writeMarker)
	const hex = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b.WriteByte(hex[(r>>uint(shift))&0xf])
	}
	return b.String()
}

// cutBase shortens base to at most limit bytes. It backs up to the start
// of a UTF-8 character, but at most utf8.UTFMax-1 bytes: in a name that is
// not UTF-8 there may be no character start for a long way (".0" then
// 230 continuation bytes would leave "."), so it cuts at limit there. The
// result keeps at least limit-3 bytes, so it is never empty, "." or "..".
func cutBase(base string, limit int) string {
	if len(base) <= limit {
		return base
	}
	cut := limit
	for back := 0; back < utf8.UTFMax-1 && !utf8.RuneStart(base[cut]); back++ {
		cut--
	}
	if !utf8.RuneStart(base[cut]) {
		cut = limit
	}
	return base[:cut]
}

// tempDirName returns the temporary name of kind k for directory base.
func tempDirName(base string, k Kind) string {
	return base + "." + string(k)
}

// reserved reports whether base may not be used as a destination: it is a
// temporary name or the lock file.
func reserved(base string) bool {
	if base == LockFileName {
		return true
	}
	_, _, ok := ParseTempName(base)
	return ok
}
