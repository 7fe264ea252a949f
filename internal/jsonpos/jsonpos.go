// Package jsonpos turns byte offsets, which encoding/json reports, into the
// line and column an editor shows, so that every reader of outside JSON
// points at problems the same way.
package jsonpos

import (
	"bytes"
	"unicode/utf8"
)

// LineCol returns the 1-based line and column of the byte at offset in
// data. Columns count characters (runes), not bytes. Offsets outside data
// are clamped to it.
func LineCol(data []byte, offset int64) (line, col int) {
	offset = max(0, min(offset, int64(len(data))))
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}
