package awssim

import (
	"encoding/base64"
	"math/rand/v2"
	"strconv"
	"time"
)

// Time is a timestamp on the wire of CodeDeploy and ECS: epoch seconds with
// a fraction.
type Time time.Time

func (t Time) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Time(t).UnixMilli())/1000, 'f', 3, 64), nil
}

// Float is a number AWS writes with a fraction, like 100.0.
type Float float64

func (f Float) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(f), 'f', 1, 64), nil
}

// Page returns the items of one page of at most size items starting at
// the offset encoded in token, and the token of the next page.
func Page[T any](items []T, size int, token string) ([]T, string, error) {
	start := 0
	if token != "" {
		raw, err := base64.StdEncoding.DecodeString(token)
		if err == nil {
			start, err = strconv.Atoi(string(raw))
		}
		if err != nil || start < 0 || start > len(items) {
			return nil, "", Errorf("InvalidNextTokenException", "The NextToken value is invalid.")
		}
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return items[start:end], next, nil
}

// RandomAlnum returns n random letters and digits.
func RandomAlnum(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rand.IntN(len(chars))]
	}
	return string(b)
}
