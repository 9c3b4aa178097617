package file

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// readFile reads and parses one file, at most max bytes and maxTargets
// targets of it. Anything
// but a regular file is refused before it is opened: opening a FIFO blocks
// until a writer comes, and a device may never end.
func readFile(path string, max int64, maxTargets int) ([]*discovery.Group, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if err := checkRegular(st.Mode()); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Checked again on what was opened, in case the path changed.
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if err := checkRegular(st.Mode()); err != nil {
		return nil, err
	} else if st.Size() > max {
		return nil, fmt.Errorf("%d bytes, more than max_file_size (%d)", st.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("more than max_file_size (%d bytes)", max)
	}
	groups, err := parse(data, format(path), maxTargets)
	if err != nil {
		return nil, err
	}
	for i, g := range groups {
		g.Source = path + ":" + strconv.Itoa(i)
		labels := make(discovery.Labels, len(g.Labels)+1)
		for k, v := range g.Labels {
			labels[k] = v
		}
		labels[FilepathLabel] = path
		g.Labels = labels
	}
	return groups, nil
}

// checkRegular reports a mode that is not a regular file's, naming what it
// is.
func checkRegular(mode os.FileMode) error {
	if mode.IsRegular() {
		return nil
	}
	var kind string
	switch {
	case mode&os.ModeNamedPipe != 0:
		kind = "a named pipe"
	case mode.IsDir():
		kind = "a directory"
	case mode&os.ModeDevice != 0:
		kind = "a device"
	case mode&os.ModeSocket != 0:
		kind = "a socket"
	default:
		kind = "of mode " + mode.String()
	}
	return fmt.Errorf("not a regular file (%s); skipped without opening it", kind)
}
