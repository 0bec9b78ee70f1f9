// Package extract walks a message's whole MIME tree and hands the policy
// engine every piece of text a person could read from it, as UTF-8 streams.
// It fails closed: whatever it cannot read fully is reported as Unscannable,
// and the default policy treats that as PHI.
//
// # What is extracted from what
//
//   - Headers (Kind "header", Field = lowercase name): Subject, From, To, Cc,
//     Reply-To, Comments, Keywords, Content-Description and every X-* field,
//     RFC 2047 encoded words decoded to UTF-8. Of every entity, including
//     messages nested as message/rfc822 or attached as .eml.
//   - Bodies and attachments: base64 and quoted-printable decoded, text/*
//     charsets converted to UTF-8 (go-message with go-message/charset).
//   - text/plain and other text/*: as is; text without a declared charset
//     that is not UTF-8 is read as Windows-1252, and UTF-16 (with or without
//     BOM, even labelled utf-8, even with byte-wise CRLF damage) is decoded
//     (sniff.go). RTF ("{\rtf"): visible text, formatting groups joined.
//     text/html: visible text with entities decoded,
//     alt/title/aria-label/placeholder/value attributes and comments (written
//     at the next line break, so a comment inside a number does not cut it);
//     <script> and <style> content is dropped. Inline elements add no space,
//     so "123<b>45</b>6789" stays one number.
//   - Tables are read column-aware (table.go): in CSV/TSV, xlsx, docx/pptx,
//     ODF and HTML tables each data cell is written after its column's header
//     ("MRN: 4455667<TAB>SSN: 512483901"), header rows found below title rows,
//     form-style tables ("DOB: | value") left as they are; cells under one
//     header are joined by a space so a number typed across cells stays one.
//     xlsx date cells are written as dates and digit formats applied
//     (000-00-0000).
//   - Attachment file names (Kind "header", Field "filename", "_" as space)
//     and the text of a multipart's preamble and epilogue (Field "preamble").
//   - TNEF (winmail.dat, by its signature): plain, RTF and HTML bodies (as
//     alternatives of each other), string properties, and attachments walked
//     one level deeper with their names (tnef.go).
//   - DICOM (by "DICM" at 128, application/dicom or .dcm): patient and study
//     fields with labels ("patient name:", "MRN:", "DOB:", ...), up to the
//     pixel data, which is never loaded (dicom.go).
//   - Parts inside a multipart/alternative carry Part.Alt, so the engine
//     counts a finding once across the alternatives.
//   - XML: text nodes and attribute values. JSON (FHIR included): keys,
//     string values and numbers, one per line. HL7 v2 (a part starting with
//     "MSH|", an hl7 media type or .hl7): separators |^~\& become spaces,
//     segments become lines, and PID-3/5/7/19 get an "MRN"/"patient
//     name"/"DOB"/"SSN" label so the detectors see the field's meaning.
//   - .docx/.xlsx/.pptx (recognised by content, whatever the label): text of
//     document, headers, footers, notes, comments, shared strings, inline and
//     numeric cells, slides and notes, docProps; embedded objects are walked
//     as archive members.
//   - PDF: the text poppler's pdftotext reads (every font kind, ToUnicode,
//     encodings, all filters), run as a limited subprocess (sandbox.go);
//     pages that are images, or drawings without text, are found with
//     pdfimages and a pdftoppm thumbnail (see pdf.go).
//   - OCR, only when Limits.OCR.Enabled and tesseract is installed: image
//     attachments (PNG, JPEG, GIF, BMP, TIFF, recognised by content) and
//     image-only PDF pages rendered by pdftoppm (see ocr.go).
//   - zip (nested) and gzip: every member is sniffed and read like an
//     attachment, one level deeper.
//
// Formats are recognised by content first (PDF, zip, OLE, gzip magic, "MSH|",
// PGP armour), then by media type, then by file name: a label costs an
// attacker nothing.
//
// # No text, not unscannable
//
// Only bytes that are real image/audio/video/font media (by their magic
// number, whatever the label), empty parts, detached signatures and
// certificates have no text and are skipped without a finding. Raster
// images are OCR'd when OCR is on; while it is off they are listed in
// Result.NotRead, so nothing calls them scanned. Any other part the
// extractor cannot read is unscannable "format", whatever its label. A PDF
// page that is only an image is not skipped: it is "image_only".
//
// # Unscannable (fail closed)
//
//   - "depth": nesting (multipart, message/rfc822, archive) deeper than MaxDepth.
//   - "parts": more than MaxParts entities (or a zip declaring more entries);
//     the walk stops there.
//   - "size": a part's text over MaxPartBytes, the walk's text over
//     MaxDecodedBytes (the walk stops), a header section over MaxHeaderBytes.
//   - "timeout": Timeout elapsed; the walk stops. Cancelling ctx is an error instead.
//   - "charset": unknown charset in a body or encoded word; the raw bytes are
//     scanned anyway.
//   - "decode": bad base64/QP, unknown transfer encoding, broken multipart,
//     zip, XML, JSON or PDF structure.
//   - "encrypted": application/pkcs7-mime, multipart/encrypted, PGP (MIME or
//     armoured), encrypted zip members, PDFs that need a password to open
//     (owner-only restrictions do not stop reading), password-protected OOXML (a Compound File holding
//     "EncryptedPackage").
//   - "zip_bomb": a zip member or gzip stream inflating beyond MaxZipRatio
//     times its compressed size (members under 1 MiB are exempt). A PDF's
//     streams are bounded by the helper's limits and MaxPartBytes of text.
//   - "format": unreadable: legacy Compound File documents (.doc, .xls,
//     .msg), rar, 7z, bzip2, xz, tar, zip methods other than store/deflate,
//     TNEF declared but without its signature, and any unknown binary that
//     is not media.
//   - "image_only": PDF pages that are images with (almost) no text, a scan,
//     while OCR is off.
//   - "tool_missing": the helper needed for this part is not installed:
//     pdftotext, pdfimages, pdftoppm (poppler-utils) for any PDF, prlimit
//     (util-linux) for every helper, tesseract (or a language's traineddata)
//     with OCR on for images and scans. MissingHelpers lists them at start.
//   - "internal": the scanner itself failed (no temp space).
//
// A helper that runs past ToolTimeout (or OCR.Timeout) is "timeout", one that
// exhausts ToolMemory "size", one that crashes or rejects the file "decode".
//
// Index numbering: 0 is the top-level message; every MIME entity, nested
// message and archive member takes the next number in walk order. Header
// parts carry the index of their entity.
//
// # Memory, streaming and temp files
//
// Text is streamed to the callback in chunks; no decoded copy of a MIME
// part is held. Random-access formats are the exception: a zip (and so
// docx/xlsx/pptx) is copied into a temp file created by os.CreateTemp in
// os.TempDir() (mode 0600) and unlinked at once, so it vanishes when closed
// or when the process dies; it holds plaintext PHI only while that part is
// read. A PDF is spooled the same way (at most MaxPartBytes) and handed to
// the helpers as /dev/fd/3; images for OCR are held in memory (at most
// OCR.MaxPixels*4 bytes). Nested header
// sections are bounded by the message size (go-message enforces
// MaxHeaderBytes only at the top), then checked against MaxHeaderBytes.
//
// Extract never logs: it sees only content. It never returns an error for
// hostile input, only when the callback fails or ctx is cancelled.
package extract
