package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

const (
	maxPasswordSize = 64 << 10
	maxCAFileSize   = 4 << 20
)

// readFiles resolves each target's password and checks its CA file. Messages
// name the variable or file, never what it holds. A file named by several
// targets (one CA bundle for all) is read once; with more targets than
// allowed, only the first maxTargets' files are read.
func readFiles(cfg *Config, env []string, ps *problems) {
	type file struct {
		b   []byte
		msg string
	}
	read := map[string]file{}
	readOnce := func(path string, limit int64) ([]byte, string) {
		f, ok := read[path]
		if !ok {
			f.b, f.msg = readSmallFile(path, limit)
			read[path] = f
		}
		return f.b, f.msg
	}
	pems := map[string]bool{} // CA file -> holds a certificate
	for i := range capped(cfg.Targets, maxTargets) {
		t := &cfg.Targets[i]
		p := indexPath("targets", i)
		switch {
		case t.PasswordEnv != "" && t.PasswordFile != "":
			// reported by validate
		case t.PasswordEnv != "":
			if !envNameRE.MatchString(t.PasswordEnv) {
				break // reported by validate
			}
			pw := lookupEnv(env, t.PasswordEnv)
			if pw == "" {
				ps.add(p+".password_env", fmt.Sprintf("environment variable %s is not set or empty", quote(t.PasswordEnv)))
				break
			}
			t.Password = Secret(pw)
		case t.PasswordFile != "":
			b, msg := readOnce(t.PasswordFile, maxPasswordSize)
			if msg != "" {
				ps.add(p+".password_file", msg)
				break
			}
			pw := strings.TrimRight(string(b), "\r\n") // editors add a newline
			if pw == "" {
				ps.add(p+".password_file", fmt.Sprintf("%s is empty", quote(t.PasswordFile)))
				break
			}
			t.Password = Secret(pw)
		}

		if t.TLS.Enabled && t.TLS.CAFile != "" {
			b, msg := readOnce(t.TLS.CAFile, maxCAFileSize)
			if msg == "" {
				ok, seen := pems[t.TLS.CAFile]
				if !seen {
					ok = x509.NewCertPool().AppendCertsFromPEM(b)
					pems[t.TLS.CAFile] = ok
				}
				if !ok {
					msg = fmt.Sprintf("%s holds no PEM certificate", quote(t.TLS.CAFile))
				}
			}
			if msg != "" {
				ps.add(p+".tls.ca_file", msg)
			}
		}
	}
}

// lookupEnv returns the value of the last name=value entry of env.
func lookupEnv(env []string, name string) string {
	var value string
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			value = v
		}
	}
	return value
}

// readSmallFile reads a regular file of at most limit bytes. On failure it
// returns a message saying why, for a Problem.
func readSmallFile(path string, limit int64) ([]byte, string) {
	// Stat first: opening a FIFO or a device could block or never end.
	info, err := os.Stat(path)
	if err != nil {
		return nil, cannotRead(path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Sprintf("%s is not a regular file", quote(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, cannotRead(path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, cannotRead(path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Sprintf("%s is larger than %d bytes", quote(path), limit)
	}
	return b, ""
}

func cannotRead(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Sprintf("cannot read %s: %v", quote(path), err)
}
