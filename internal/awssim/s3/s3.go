package s3

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// s3State holds the S3 buckets by name.
type s3State struct {
	buckets map[string]*bucket
}

func newS3State() *s3State { return &s3State{buckets: map[string]*bucket{}} }

// bucket is an S3 bucket and its objects by key.
type bucket struct {
	region  string
	created time.Time
	objects map[string]*object
}

// object is a stored S3 object.
type object struct {
	data        []byte
	etag        string // quoted MD5 hex
	contentType string
	modified    time.Time
	header      http.Header // x-amz-meta-* and x-amz-checksum-* as received
}

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// s3TimeFormat is how S3 writes timestamps in XML.
const s3TimeFormat = "2006-01-02T15:04:05.000Z"

// s3Checksums are the flexible checksum algorithms S3 verifies, by the
// suffix of their x-amz-checksum-* header.
var s3Checksums = map[string]func() hash.Hash{
	"crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"crc32c":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"crc64nvme": func() hash.Hash { return crc64.New(crc64.MakeTable(0x9a6c9329ac4bc9b5)) },
	"sha1":      sha1.New,
	"sha256":    sha256.New,
}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// s3Path splits a path-style request path into bucket and key.
func s3Path(r *http.Request) (bucket, key string) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return bucket, key
}

// s3Operation names the S3 operation of a path-style request.
func s3Operation(r *http.Request) string {
	bucket, key := s3Path(r)
	switch {
	case bucket == "" && r.Method == http.MethodGet:
		return "ListBuckets"
	case key == "" && r.Method == http.MethodPut:
		return "CreateBucket"
	case key == "" && r.Method == http.MethodHead:
		return "HeadBucket"
	case key == "" && r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2":
		return "ListObjectsV2"
	case key != "" && r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") == "":
		return "PutObject"
	case key != "" && r.Method == http.MethodGet:
		return "GetObject"
	case key != "" && r.Method == http.MethodHead:
		return "HeadObject"
	}
	return r.Method
}

func (s *Service) serveS3(w http.ResponseWriter, r *http.Request, region string, body []byte) {
	w.Header().Set("X-Amz-Request-Id", strings.ToUpper(awssim.RandomAlnum(16)))
	w.Header().Set("X-Amz-Id-2", base64.StdEncoding.EncodeToString([]byte(awssim.RandomAlnum(48))))
	name, key := s3Path(r)
	operation := s3Operation(r)
	s.Lock()
	defer s.Unlock()
	b := s.s3.buckets[name]
	if b == nil && name != "" && operation != "CreateBucket" {
		writeS3Error(w, &awssim.Error{Status: 404, Code: "NoSuchBucket", Message: "The specified bucket does not exist"})
		return
	}
	var err *awssim.Error
	switch operation {
	case "ListBuckets":
		s.listBuckets(w)
	case "CreateBucket":
		err = s.createBucket(w, name, region, body)
	case "HeadBucket":
		w.Header().Set("X-Amz-Bucket-Region", b.region)
	case "ListObjectsV2":
		err = listObjectsV2(w, name, b, r.URL.Query())
	case "PutObject":
		var obj *object
		if obj, err = s.putObject(b, key, r.Header, body); err == nil {
			for k, v := range obj.header {
				if strings.HasPrefix(k, "X-Amz-Checksum-") {
					w.Header()[k] = v
				}
			}
			w.Header().Set("ETag", obj.etag)
		}
	case "GetObject", "HeadObject":
		err = getObject(w, r, b, key)
	default:
		err = &awssim.Error{Status: 501, Code: "NotImplemented", Message: "A header you provided implies functionality that is not implemented"}
	}
	if err != nil {
		writeS3Error(w, err)
	}
}

func (s *Service) listBuckets(w http.ResponseWriter) {
	type entry struct {
		Name         string
		CreationDate string
		BucketRegion string
	}
	var list []entry
	for name, b := range s.s3.buckets {
		list = append(list, entry{name, b.created.Format(s3TimeFormat), b.region})
	}
	slices.SortFunc(list, func(a, b entry) int { return strings.Compare(a.Name, b.Name) })
	writeXML(w, struct {
		XMLName xml.Name `xml:"ListAllMyBucketsResult"`
		Xmlns   string   `xml:"xmlns,attr"`
		Owner   struct{ ID, DisplayName string }
		Buckets []entry `xml:"Buckets>Bucket"`
	}{Xmlns: s3Namespace, Owner: struct{ ID, DisplayName string }{awssim.Account, "sandbox"}, Buckets: list})
}

func (s *Service) createBucket(w http.ResponseWriter, name, region string, body []byte) *awssim.Error {
	if len(bytes.TrimSpace(body)) > 0 {
		var conf struct{ LocationConstraint string }
		if err := xml.Unmarshal(body, &conf); err != nil {
			return &awssim.Error{Status: 400, Code: "MalformedXML", Message: "The XML you provided was not well-formed or did not validate against our published schema"}
		}
		if conf.LocationConstraint != "" && conf.LocationConstraint != region {
			return &awssim.Error{Status: 400, Code: "IllegalLocationConstraintException", Message: fmt.Sprintf("The %s location constraint is incompatible for the region specific endpoint this request was sent to.", conf.LocationConstraint)}
		}
	}
	if err := s.addBucket(name, region); err != nil {
		return err
	}
	w.Header().Set("Location", "/"+name)
	return nil
}

func (s *Service) addBucket(name, region string) *awssim.Error {
	if !bucketName.MatchString(name) {
		return &awssim.Error{Status: 400, Code: "InvalidBucketName", Message: "The specified bucket is not valid."}
	}
	if s.s3.buckets[name] != nil {
		return &awssim.Error{Status: 409, Code: "BucketAlreadyOwnedByYou", Message: "Your previous request to create the named bucket succeeded and you already own it."}
	}
	s.s3.buckets[name] = &bucket{region: region, created: s.Clock.Now(), objects: map[string]*object{}}
	return nil
}

// putObject stores the payload of a PutObject body after checking its
// checksums.
func (s *Service) putObject(b *bucket, key string, h http.Header, body []byte) (*object, *awssim.Error) {
	data, trailer, err := decodeChunked(h, body)
	if err != nil {
		return nil, err
	}
	kept := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(k, "X-Amz-Meta-") {
			kept[k] = v
		}
	}
	for alg, newHash := range s3Checksums {
		k := http.CanonicalHeaderKey("X-Amz-Checksum-" + alg)
		want := h.Get(k)
		if want == "" {
			want = trailer.Get(k)
		}
		if want == "" {
			continue
		}
		sum := newHash()
		sum.Write(data)
		if base64.StdEncoding.EncodeToString(sum.Sum(nil)) != want {
			return nil, &awssim.Error{Status: 400, Code: "BadDigest", Message: fmt.Sprintf("The %s you specified did not match the calculated checksum.", strings.ToUpper(alg))}
		}
		kept.Set(k, want)
	}
	md5sum := md5.Sum(data)
	if want := h.Get("Content-MD5"); want != "" && want != base64.StdEncoding.EncodeToString(md5sum[:]) {
		return nil, &awssim.Error{Status: 400, Code: "BadDigest", Message: "The Content-MD5 you specified did not match what we received."}
	}
	contentType := h.Get("Content-Type")
	if contentType == "" {
		contentType = "binary/octet-stream"
	}
	obj := &object{
		data:        data,
		etag:        `"` + hex.EncodeToString(md5sum[:]) + `"`,
		contentType: contentType,
		modified:    s.Clock.Now(),
		header:      kept,
	}
	b.objects[key] = obj
	return obj, nil
}

// decodeChunked returns the payload of a PutObject body, decoding the
// aws-chunked encoding (signed or not, with trailing checksums) when used.
func decodeChunked(h http.Header, body []byte) ([]byte, http.Header, *awssim.Error) {
	trailer := http.Header{}
	if !strings.Contains(h.Get("Content-Encoding"), "aws-chunked") && !strings.HasPrefix(h.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return body, trailer, nil
	}
	bad := &awssim.Error{Status: 400, Code: "IncompleteBody", Message: "The request body terminated unexpectedly"}
	rd := bufio.NewReader(bytes.NewReader(body))
	var data []byte
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return nil, nil, bad
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		size, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil || size < 0 || size > int64(len(body)) {
			return nil, nil, bad
		}
		if size == 0 {
			break
		}
		chunk := make([]byte, size+2)
		if _, err := io.ReadFull(rd, chunk); err != nil || string(chunk[size:]) != "\r\n" {
			return nil, nil, bad
		}
		data = append(data, chunk[:size]...)
	}
	for {
		line, err := rd.ReadString('\n')
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok {
			trailer.Set(name, strings.TrimSpace(value))
		}
		if err != nil {
			break
		}
	}
	if n := h.Get("X-Amz-Decoded-Content-Length"); n != "" && n != strconv.Itoa(len(data)) {
		return nil, nil, bad
	}
	if data == nil {
		data = []byte{}
	}
	return data, trailer, nil
}

func getObject(w http.ResponseWriter, r *http.Request, b *bucket, key string) *awssim.Error {
	obj := b.objects[key]
	if obj == nil {
		return &awssim.Error{Status: 404, Code: "NoSuchKey", Message: "The specified key does not exist."}
	}
	h := w.Header()
	for k, v := range obj.header {
		if !strings.HasPrefix(k, "X-Amz-Checksum-") || strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
			h[k] = v
		}
	}
	h.Set("Content-Type", obj.contentType)
	h.Set("Content-Length", strconv.Itoa(len(obj.data)))
	h.Set("ETag", obj.etag)
	h.Set("Last-Modified", obj.modified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	if r.Method == http.MethodGet {
		w.Write(obj.data)
	}
	return nil
}

func listObjectsV2(w http.ResponseWriter, name string, b *bucket, q map[string][]string) *awssim.Error {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	prefix, delim, token := get("prefix"), get("delimiter"), get("continuation-token")
	maxKeys := 1000
	if v := get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &awssim.Error{Status: 400, Code: "InvalidArgument", Message: "Provided max-keys not an integer or within integer range"}
		}
		maxKeys = min(n, 1000)
	}
	after := get("start-after")
	if token != "" {
		raw, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			return &awssim.Error{Status: 400, Code: "InvalidArgument", Message: "The continuation token provided is incorrect"}
		}
		after = string(raw)
	}
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	// Each listed item is an object or a common prefix; last is the last
	// key it covers, where the next page starts.
	type item struct{ key, prefix, last string }
	var items []item
	for _, k := range keys {
		if k <= after || !strings.HasPrefix(k, prefix) {
			continue
		}
		if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
			cp := k[:len(prefix)+i+len(delim)]
			if n := len(items); n > 0 && items[n-1].prefix == cp {
				items[n-1].last = k
			} else {
				items = append(items, item{prefix: cp, last: k})
			}
			continue
		}
		items = append(items, item{key: k, last: k})
	}
	type content struct {
		Key          string
		LastModified string
		ETag         string
		Size         int
		StorageClass string
	}
	type commonPrefix struct{ Prefix string }
	out := struct {
		XMLName               xml.Name `xml:"ListBucketResult"`
		Xmlns                 string   `xml:"xmlns,attr"`
		Name                  string
		Prefix                string
		Delimiter             string `xml:",omitempty"`
		MaxKeys               int
		KeyCount              int
		IsTruncated           bool
		ContinuationToken     string `xml:",omitempty"`
		NextContinuationToken string `xml:",omitempty"`
		StartAfter            string `xml:",omitempty"`
		Contents              []content
		CommonPrefixes        []commonPrefix
	}{Xmlns: s3Namespace, Name: name, Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys, ContinuationToken: token, StartAfter: get("start-after")}
	if len(items) > maxKeys {
		items = items[:maxKeys]
		out.IsTruncated = true
		out.NextContinuationToken = base64.StdEncoding.EncodeToString([]byte(items[len(items)-1].last))
	}
	out.KeyCount = len(items)
	for _, it := range items {
		if it.prefix != "" {
			out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{it.prefix})
			continue
		}
		obj := b.objects[it.key]
		out.Contents = append(out.Contents, content{it.key, obj.modified.UTC().Format(s3TimeFormat), obj.etag, len(obj.data), "STANDARD"})
	}
	writeXML(w, out)
	return nil
}

// Object returns the content of an object (awssim.Objects). The caller
// holds the lock.
func (s *Service) Object(bucket, key string) ([]byte, bool) {
	b := s.s3.buckets[bucket]
	if b == nil {
		return nil, false
	}
	obj := b.objects[key]
	if obj == nil {
		return nil, false
	}
	return obj.data, true
}

// seedS3 makes an S3 call of a scenario's seed list: CreateBucket {Bucket}
// in region or PutObject {Bucket, Key, Body, ContentType}. The caller holds
// s.mu.
func (s *Service) seedS3(operation, region string, input map[string]any) error {
	str := func(k string) string { v, _ := input[k].(string); return v }
	var err *awssim.Error
	switch operation {
	case "CreateBucket":
		err = s.addBucket(str("Bucket"), region)
	case "PutObject":
		b := s.s3.buckets[str("Bucket")]
		if b == nil {
			return &awssim.Error{Status: 404, Code: "NoSuchBucket", Message: "The specified bucket does not exist"}
		}
		h := http.Header{"Content-Type": {str("ContentType")}}
		_, err = s.putObject(b, str("Key"), h, []byte(str("Body")))
	default:
		return fmt.Errorf("unknown operation")
	}
	if err != nil {
		return err // not a nil *awssim.Error in a non-nil error
	}
	return nil
}

// writeS3Error writes e as an S3 XML error.
func writeS3Error(w http.ResponseWriter, e *awssim.Error) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		RequestId string
	}{Code: e.Code, Message: e.Message, RequestId: w.Header().Get("X-Amz-Request-Id")})
}

func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(v)
}
