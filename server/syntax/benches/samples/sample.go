// Package settings is a sample for the parse benchmark; _N_ is replaced by a counter.
package settings

import (
	"fmt"
	"strconv"
	"strings"
)

// BENCH-REPEAT

// Cache_N_ holds parsed settings, keyed by name.
type Cache_N_ struct {
	entries map[string]string
	hits    int
	misses  int
}

// NewCache_N_ returns an empty cache.
func NewCache_N_() *Cache_N_ {
	return &Cache_N_{entries: make(map[string]string)}
}

// Load parses `key = value` lines, skipping comments and blank lines.
func (c *Cache_N_) Load(text string) (int, error) {
	loaded := 0
	for number, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return loaded, fmt.Errorf("line %d: expected 'key = value', got %q", number+1, line)
		}
		c.entries[strings.TrimSpace(key)] = strings.TrimSpace(value)
		loaded++
	}
	return loaded, nil
}

// Int returns the setting as an integer, counting hits and misses.
func (c *Cache_N_) Int(key string) (int, bool) {
	value, ok := c.entries[key]
	if !ok {
		c.misses++
		return 0, false
	}
	c.hits++
	number, err := strconv.Atoi(value)
	return number, err == nil
}
