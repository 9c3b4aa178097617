// Package fileops makes file and directory operations crash-safe: content is
// built under a temporary suffix, synced, renamed into place, and the parent
// directory synced; what an interrupted operation leaves behind is cleaned up
// at startup.
//
// It follows Prometheus TSDB's .tmp-for-creation and .tmp-for-deletion
// directories and google/renameio's atomic file replacement.
//
// The package exports nothing yet; its API is being built.
package fileops
