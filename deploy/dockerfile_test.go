package deploy

import (
	"bufio"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// dockerInstr is one Dockerfile instruction, continuation lines joined.
type dockerInstr struct {
	cmd, args string
}

func readDockerfile(t *testing.T) []dockerInstr {
	t.Helper()
	var out []dockerInstr
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, repoPath(t, "Dockerfile"))))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if l, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(l + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstr{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

var goDirective = regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`)

// TestDockerfile checks the image the Compose stack builds, without Docker:
// a Go builder at least as new as go.mod asks, the exact build command the
// tests build with (so the e2e test runs the image's binary, and it is
// static), a non-root final stage, the run command and port the stack uses,
// and a .dockerignore that keeps every file the build reads.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	instrs := readDockerfile(t)
	var froms, users []string
	var run, cmd, entrypoint, expose string
	for _, in := range instrs {
		switch in.cmd {
		case "FROM":
			froms = append(froms, in.args)
			users = nil // USER applies to its stage
		case "USER":
			users = append(users, in.args)
		case "RUN":
			if strings.Contains(in.args, "go build") {
				run = in.args
			}
		case "CMD":
			cmd = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "EXPOSE":
			expose = in.args
		}
	}
	if len(froms) < 2 {
		t.Fatalf("%d stages, want a multi-stage build", len(froms))
	}

	m := goDirective.FindStringSubmatch(string(readFile(t, repoPath(t, "go.mod"))))
	b := regexp.MustCompile(`^golang:(\d+)\.(\d+)`).FindStringSubmatch(froms[0])
	if m == nil || b == nil {
		t.Fatalf("builder %q or go.mod's go directive not understood", froms[0])
	}
	if atoi(b[1]) < atoi(m[1]) || atoi(b[1]) == atoi(m[1]) && atoi(b[2]) < atoi(m[2]) {
		t.Errorf("builder %s is older than go.mod's go %s.%s", froms[0], m[1], m[2])
	}
	if !strings.Contains(run, dockerBuild) {
		t.Errorf("the Dockerfile's build is\n\t%s\nwant it to run\n\t%s\n(update dockerBuild and ecbenchBinary together with it)", run, dockerBuild)
	}
	if len(users) == 0 {
		t.Error("the final stage runs as root: no USER")
	}
	for _, u := range users {
		if name, _, _ := strings.Cut(u, ":"); name == "root" || name == "0" {
			t.Errorf("USER %s is root", u)
		}
	}
	if entrypoint != `["/usr/local/bin/ecbench"]` {
		t.Errorf("ENTRYPOINT %s, want the binary the build stage copies", entrypoint)
	}
	p := mustLoadCompose(t, nil, nil, "compose.yaml")
	ec := p.Services["ecbench"]
	if want := `["` + strings.Join(ec.Command, `", "`) + `"]`; cmd != want {
		t.Errorf("CMD %s; the Compose stack runs %s: keep them the same", cmd, want)
	}
	if !exposes(ec, expose) {
		t.Errorf("EXPOSE %s, but the ecbench service exposes %v", expose, ec.Expose)
	}

	f, err := elf.Open(ecbenchBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Error("the binary built as the Dockerfile builds it has a dynamic loader (PT_INTERP): it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %v dynamically", libs)
	}
}

// TestDockerignore checks that .dockerignore keeps every file that
// `go build ./cmd/ecbench` reads in the build context.
func TestDockerignore(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	var patterns []string
	for _, line := range strings.Split(string(readFile(t, filepath.Join(root, ".dockerignore"))), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: exceptions (%s) are not understood by this test; teach dockerIgnored", line)
		}
		patterns = append(patterns, path.Clean(line))
	}
	list := exec.Command("go", "list", "-deps", "-f",
		`{{if and .Module .Module.Main}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{range .EmbedFiles}} {{.}}{{end}}{{end}}`,
		"./cmd/ecbench")
	list.Dir = root
	list.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	files := []string{"go.mod", "go.sum"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		dir, err := filepath.Rel(root, fields[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields[1:] {
			files = append(files, filepath.ToSlash(filepath.Join(dir, f)))
		}
	}
	if len(files) < 10 {
		t.Fatalf("go list found only %v", files)
	}
	for _, f := range files {
		if p := dockerIgnored(patterns, f); p != "" {
			t.Errorf(".dockerignore pattern %q drops %s, which the image's build needs", p, f)
		}
	}
	for _, f := range []string{"deploy/compose/compose.yaml", "README.md", ".git/HEAD"} {
		if dockerIgnored(patterns, f) == "" {
			t.Errorf(".dockerignore keeps %s in the build context", f)
		}
	}
}

// dockerIgnored returns the pattern that excludes file (a slash-separated
// path relative to the context), or "". Docker matches a pattern against
// the path and each of its parent directories, and "**/" matches any number
// of leading directories.
func dockerIgnored(patterns []string, file string) string {
	parts := strings.Split(file, "/")
	for _, p := range patterns {
		for k := 1; k <= len(parts); k++ {
			prefix := parts[:k]
			if rest, ok := strings.CutPrefix(p, "**/"); ok {
				for i := range prefix {
					if ok, _ := path.Match(rest, strings.Join(prefix[i:], "/")); ok {
						return p
					}
				}
				continue
			}
			if ok, _ := path.Match(p, strings.Join(prefix, "/")); ok {
				return p
			}
		}
	}
	return ""
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
