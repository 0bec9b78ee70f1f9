package web

import (
	"html/template"
	"time"
)

var funcs = template.FuncMap{
	"datetime": func(t time.Time) string { return t.UTC().Format("2 January 2006, 15:04 UTC") },
	"date3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}
