// Package file discovers targets listed in JSON or YAML files, watched for
// changes. Importing it registers the key file_sd_configs, as in
// Prometheus:
//
//	file_sd_configs:
//	  - files: [/etc/targets/*.json, /etc/targets/db.yaml]
//	    refresh_interval: 5m
//
// Each file holds a list of groups in the targets/labels form:
//
//	[{"targets": ["web-1:8080", "web-2:8080"], "labels": {"env": "prod"}}]
//
// # Composing with it
//
// Import the package for its side effect in the program that decodes
// discovery.Configs. A file's groups get the Source path:index (the path as
// the pattern matched it, the group's index in the file) and the label
// __meta_filepath. The directories of the patterns are watched with
// fsnotify; every change in them rereads the files, and so does every
// RefreshInterval (default 5 min), which catches what watching misses (a
// directory created later, a network file system). Only groups that
// changed are sent.
//
// A file that disappears or shrinks deletes the groups it no longer has. A
// file that cannot be read or parsed, is empty, is larger than
// MaxFileSize, lists more than MaxTargets targets, or whose YAML aliases
// expand it excessively keeps its last good groups, and the failure is reported with
// discovery.ReportError. Treating an empty file as a failure means that a
// writer that truncates before writing does not drop its targets for a
// moment; write [] to list no targets. A path matching a pattern that is
// not a regular file once links are followed (a FIFO, a device, a
// directory, a socket) is skipped without being opened, since opening a
// FIFO would block until a writer comes, and reported the same way.
//
// # Extending it
//
// Nothing to implement: write files. Writers should replace a file by
// renaming a complete temporary file over it, so that no reader sees half
// of it.
//
// # What it deliberately does not do
//
// Patterns take a * in their last path element only, as in Prometheus;
// there is no recursive matching. Relative paths are relative to the
// working directory, not to a configuration file. Target strings are
// checked (not empty, no white space) but not resolved.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Example: targets listed in a file under file_sd_configs, served by a
//     Manager; renaming a new version over the file changes them.
//   - DefaultConfig: the *Config that goes into discovery.Configs as it is,
//     with its defaults.
package file
