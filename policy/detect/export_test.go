package detect

// ReadList exposes the data-file loader to the external tests.
var ReadList = readList
