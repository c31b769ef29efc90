package pgdump

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func scanAll(text string, chunk int) error {
	var s sqlScan
	for len(text) > 0 {
		n := min(chunk, len(text))
		if _, err := s.Write([]byte(text[:n])); err != nil {
			return err
		}
		text = text[n:]
	}
	return s.done()
}

func TestSQLScanAcceptsWhatPgDumpWrites(t *testing.T) {
	dump := `--
-- PostgreSQL database dump
--
\restrict abc123

SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE FUNCTION public.f() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'no \! here';
END;
$$;
CREATE FUNCTION public.g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; COMMIT $body$;
COMMENT ON TABLE public.t IS 'it''s a \ backslash;
COMMIT inside a string';
/* block /* nested */ COMMIT; */
CREATE TABLE "we;ird\name" (a text);
COPY public.t (a, b) FROM stdin;
\N	\\x00
x	COMMIT;
\.
-- PostgreSQL database dump complete
\unrestrict abc123
`
	for _, chunk := range []int{1, 7, 4096} {
		assert.NoError(t, scanAll(dump, chunk), "chunk %d", chunk)
	}
}

func TestSQLScanRefusesMetaCommandsAndTransactionControl(t *testing.T) {
	cases := map[string]string{
		"shell":               "\\! id > /tmp/pwned\n",
		"shell indented":      "   \\! id\n",
		"meta after sql":      "SELECT 1; \\! id\n",
		"connect":             "\\connect other\n",
		"include":             "\\i /etc/passwd\n",
		"commit":              "CREATE TABLE a (b int);\nCOMMIT;\n",
		"begin lower":         "begin;\nselect 1/0;\n",
		"end":                 "END;\n",
		"start transaction":   "START TRANSACTION;\n",
		"rollback no newline": "ROLLBACK;",
		"after copy":          "COPY t (a) FROM stdin;\n1\n\\.\n\\! id\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			err := scanAll(text, 3)
			assert.ErrorIs(t, err, ErrNotPlainSQL)
		})
	}
	assert.True(t, strings.Contains(scanAll("\\! id\n", 64).Error(), `\!`))
}
