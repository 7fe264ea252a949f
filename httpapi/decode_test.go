package httpapi

import (
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
)

func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct {
		in, field, msg string
	}{
		{`{"name":"a","role":"viewer"}`, "", ""},
		{``, "", "empty"},
		{`{"name":`, "", "unexpected end"},
		{`{"name":"a"} {}`, "", "after the JSON value"},
		{`{"name":1}`, "name", "expected string"},
		{`{"nmae":"a"}`, "nmae", "unknown field"},
		{`[1]`, "", "expected"},
	} {
		var v CreateTokenRequest
		err := DecodeStrict([]byte(tc.in), &v)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("DecodeStrict(%s) = %v", tc.in, err)
			}
			continue
		}
		if palisade.ErrorCode(err) != palisade.EINVALID || palisade.ErrorField(err) != tc.field || !strings.Contains(palisade.ErrorMessage(err), tc.msg) {
			t.Errorf("DecodeStrict(%s) = %v (field %q), want field %q and %q", tc.in, err, palisade.ErrorField(err), tc.field, tc.msg)
		}
	}
}

func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{`{"name":"a","role":"viewer","expiresIn":"1h"}`, `{}`, `[]`, `{"name":1}`, `{"x":{"y":[1,2]}}`, `nul`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var v CreateTokenRequest
		err := DecodeStrict(in, &v)
		if err != nil && palisade.ErrorCode(err) != palisade.EINVALID {
			t.Fatalf("error with code %q: %v", palisade.ErrorCode(err), err)
		}
	})
}
