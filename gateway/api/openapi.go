package api

import _ "embed"

// openAPIDocument is the OpenAPI 3.1 description served at
// /v1/openapi.json; docs/openapi.json is the same file (a test checks).
//
//go:embed openapi.json
var openAPIDocument []byte
