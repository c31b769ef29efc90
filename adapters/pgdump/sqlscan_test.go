package pgdump

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		// psql reads x$a$ as one identifier, not as a dollar quote.
		"dollar after identifier": "SELECT 1 AS x$a$ \\! touch /tmp/pwned\nSELECT 1 $a$;\n",
		// In E'' strings \' is an escaped quote, so psql sees \! outside.
		"escaped quote in E string":  "SELECT E'\\'' \\! touch /tmp/pwned\n'';\n",
		"escaped quote, strings off": "SELECT '\\'' \\! id\n'';\n",
		"strings off":                "SET standard_conforming_strings = off;\n",
		"strings off by function":    "SELECT pg_catalog.set_config('standard_conforming_strings', 'off', false);\n",
		"other client encoding":      "SET client_encoding = 'SJIS';\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			err := scanAll(text, 3)
			assert.ErrorIs(t, err, ErrNotPlainSQL)
		})
	}
	assert.True(t, strings.Contains(scanAll("\\! id\n", 64).Error(), `\!`))
}

// A COPY header longer than a few hundred bytes still opens COPY data, so
// the backslashes of that data are not taken for meta-commands.
func TestSQLScanLongCopyHeader(t *testing.T) {
	cols := strings.Repeat("a_rather_long_column_name, ", 40) + "last"
	dump := "COPY public.wide (" + cols + ") FROM stdin;\n\\N\tx\\\\y\n\\.\n"
	assert.NoError(t, scanAll(dump, 5))
}

func TestSQLScanNotesCreatedTables(t *testing.T) {
	var s sqlScan
	_, err := s.Write([]byte("CREATE TABLE public.users (\n    id uuid\n);\n" +
		"CREATE TABLE public.sessions(id uuid);\nCOMMENT ON TABLE public.x IS 'CREATE TABLE public.fake (';\n" +
		"CREATE FUNCTION f() RETURNS int AS $$ CREATE TABLE public.inner (a int); $$ LANGUAGE sql;\n"))
	require.NoError(t, err)
	require.NoError(t, s.done())
	assert.Equal(t, map[string]bool{"public.users": true, "public.sessions": true}, s.created)
}

func TestTOCLineNamesTable(t *testing.T) {
	assert.True(t, tocCreates("215; 1259 16390 TABLE public users postgres", "public.users"))
	assert.False(t, tocCreates("3400; 0 16390 TABLE DATA public users postgres", "public.users"))
	assert.False(t, tocCreates("216; 1259 16391 TABLE public sessions postgres", "public.users"))
	assert.False(t, tocCreates(";    215; 1259 16390 TABLE public users postgres", "public.users"))
	assert.False(t, tocCreates("", "public.users"))
}
