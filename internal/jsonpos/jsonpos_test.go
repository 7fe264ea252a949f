package jsonpos

import "testing"

func TestLineCol(t *testing.T) {
	data := []byte("{\n  \"a\": \"é\", x\n}")
	for _, tc := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 2}, {2, 2, 1}, {4, 2, 3}, {14, 2, 12}, {-5, 1, 1}, {999, 3, 2}} {
		if l, c := LineCol(data, tc.off); l != tc.line || c != tc.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
}
