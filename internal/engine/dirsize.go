package engine

import (
	"os"
	"path/filepath"
)

// DirSize sums the sizes of the regular files directly in dir: the disk usage
// backends report in Stats. Files removed while it runs are skipped.
func DirSize(dir string) (int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, de := range ents {
		if !de.Type().IsRegular() {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, de.Name()))
		if err != nil {
			continue // removed meanwhile
		}
		n += fi.Size()
	}
	return n, nil
}
