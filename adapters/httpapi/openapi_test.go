package httpapi

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"auth-service/adapters/metrics"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDocument)
	require.NoError(t, err, "openapi.yaml does not load")
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t)
	require.NoError(t, doc.Validate(context.Background()), "openapi.yaml is not a valid OpenAPI 3 document")
	assert.Equal(t, "3.0.3", doc.OpenAPI)
}

func TestOpenAPIMatchesRouter(t *testing.T) {
	doc := loadOpenAPI(t)

	// routes() only takes method values of the handlers; none is called,
	// so a Server without use cases is enough to list them.
	s := &Server{metrics: metrics.New()}
	routed := map[string]bool{}
	for _, r := range s.RouteList() {
		require.False(t, routed[r], "route %q appears twice in routes()", r)
		routed[r] = true
	}
	require.NotEmpty(t, routed)

	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}

	var undocumented, unrouted []string
	for r := range routed {
		if !documented[r] {
			undocumented = append(undocumented, r)
		}
	}
	for op := range documented {
		if !routed[op] {
			unrouted = append(unrouted, op)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unrouted)

	assert.Empty(t, undocumented,
		"routes in routes() missing from openapi.yaml:\n  %s", strings.Join(undocumented, "\n  "))
	assert.Empty(t, unrouted,
		"operations in openapi.yaml that routes() does not serve:\n  %s", strings.Join(unrouted, "\n  "))
}
