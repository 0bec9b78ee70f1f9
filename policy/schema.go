package policy

import (
	"regexp"
	"time"
)

// Set is a loaded, validated policy: every file, its rules and lists. It is
// immutable after Load; an Engine is built from it.
type Set struct {
	// Hash is the policy version: hex SHA-256 over every file's name and
	// bytes, policy files first in load order, then the list and dictionary
	// files they name. It goes into every decision and audit record.
	Hash string
	// Files are the policy files in load (lexical) order.
	Files []string
	// Rules in evaluation order; the last one is the default rule.
	Rules    []*Rule
	Settings Settings
	// Lists are the named lists (inline or from files), lower-cased.
	Lists map[string][]string

	refs []string // list and dictionary files read, for the watcher
}

// Settings is the optional settings section (at most one across files).
type Settings struct {
	SubjectTags []string // recognised subject tags, as written
	Limits      Limits
	Detect      DetectSettings
	OCR         OCRSettings
}

// OCRSettings turn on tesseract OCR of images and image-only PDF pages
// (settings.ocr). Off by default; zero fields take the built-in defaults.
type OCRSettings struct {
	Enabled   bool
	Languages []string // tesseract codes: eng, deu, chi_sim, ...
	Timeout   time.Duration
	MaxPixels int64
	MaxPages  int
	DPI       int
}

// Limits bound content extraction. Zero means the built-in default.
type Limits struct {
	MaxDepth        int
	MaxParts        int
	MaxDecodedBytes int64
	MaxPartBytes    int64
	MaxHeaderBytes  int
	MaxZipRatio     int
	Timeout         time.Duration
	HelperMemory    int64         // address space of each helper process (pdftotext, tesseract)
	HelperTimeout   time.Duration // wall and CPU time of each helper run
}

// DetectSettings mirror detect.Config, with dictionary files already read.
type DetectSettings struct {
	Enabled          []string
	MRNPatterns      []string
	MemberIDPatterns []string
	Dictionaries     map[string][]string
	Custom           []CustomDetector
}

// CustomDetector is an admin regex detector.
type CustomDetector struct {
	Name, Pattern string
	Confidence    string // low, medium, high
	Context       []string
}

// Rule is one policy rule. Rules are tried in order; the first whose When
// holds decides. The default rule has no When and is always last.
type Rule struct {
	ID          string
	Description string
	File        string
	Line        int
	Default     bool
	When        *Cond

	Action    string   // pass, encrypt, require_tls, block, quarantine
	Methods   []string // encrypt: ordered allowed set
	Min       string   // encrypt: tls or end-to-end
	BlockText string   // block: the SMTP reply text
	// PortalExpiry (encrypt) is how long a copy deposited in the secure
	// portal stays readable; 0 means the config's portal.expiry.
	PortalExpiry time.Duration

	StripTag     bool
	AddHeaders   map[string]string
	Bcc          []string
	NotifySender bool
}

// Action names.
const (
	ActionPass       = "pass"
	ActionEncrypt    = "encrypt"
	ActionRequireTLS = "require_tls"
	ActionBlock      = "block"
	ActionQuarantine = "quarantine"
)

// Encryption floors for encrypt's min.
const (
	MinTLS      = "tls"
	MinEndToEnd = "end-to-end"
)

// DefaultBlockText is the reply text of a block rule that sets none. It says
// nothing about what was found.
const DefaultBlockText = "Message refused by policy."

// FindingUnscannable is the synthetic finding type for content that could not
// be fully scanned.
const FindingUnscannable = "unscannable"

var (
	allActions = []string{ActionPass, ActionEncrypt, ActionRequireTLS, ActionBlock, ActionQuarantine}
	allMethods = []string{"pgp", "smime", "tls", "portal"}
)

// Cond is one condition node. Exactly one of its kinds is set per node;
// a mapping with several keys becomes an All of one node per key.
type Cond struct {
	kind string // all, any, not, sender, recipient, all_recipients, header, subject_tag, listener, auth_user, attachment, size, detect, unscannable, not_read
	path string // key path, for traces

	sub []*Cond // all, any, not (one)

	addr *addrMatch
	hdr  *headerMatch

	tagAny bool     // subject_tag: true
	tags   []string // subject_tag: [list], lower-cased

	names []string // listener, auth_user (exact, case-insensitive for auth_user)

	att  *attachMatch
	size *sizeRange
	det  *detectMatch

	flag bool // unscannable, not_read: true|false
}

type addrMatch struct {
	globs   []string // lower-cased address globs
	domains []string // lower-cased; ".x" = subdomains of x
	lists   []string // list names
}

type headerMatch struct {
	name string // canonical form
	re   *regexp.Regexp
	raw  string
}

type attachMatch struct {
	name, typ string // lower-cased globs, "" = any
	size      sizeRange
}

type sizeRange struct {
	min, max int64 // max 0 = unbounded
}

type detectMatch struct {
	types         []string // empty = every detector type
	minCount      int
	minConfidence int // 0 = any
	minConfName   string
	score         float64
	hasScore      bool
	hasCount      bool
}
