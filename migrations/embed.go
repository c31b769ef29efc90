// Package migrations embeds the SQL schema migrations, applied in order
// by the postgres adapter.
package migrations

import "embed"

// FS holds every migration file, named NNNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
