package fake

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// manifestEntry is one image of a `docker save` tarball's manifest.json.
type manifestEntry struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// LoadImage implements driver.ImageArchiver: it reads the tarball's
// manifest.json and makes the images it names present.
func (d *Driver) LoadImage(ctx context.Context, tarball io.Reader) ([]string, error) {
	tr := tar.NewReader(tarball)
	var manifest []manifestEntry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errdefs.Invalidf("load image: not a tarball: %v", err)
		}
		if h.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				return nil, errdefs.Invalidf("load image: manifest.json: %v", err)
			}
		}
	}
	if len(manifest) == 0 {
		return nil, errdefs.Invalidf("load image: the tarball holds no image")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var refs []string
	for _, m := range manifest {
		id := "sha256:" + newID()
		if len(m.RepoTags) == 0 {
			refs = append(refs, id)
		}
		for _, t := range m.RepoTags {
			n, err := normalise(t)
			if err != nil {
				return nil, errdefs.Invalidf("load image: %v", err)
			}
			d.images[n] = id
			refs = append(refs, t)
		}
	}
	return refs, nil
}

// SaveImage implements driver.ImageArchiver: a tarball whose manifest
// names ref.
func (d *Driver) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	n, err := normalise(ref)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	id, ok := d.images[n]
	d.mu.Unlock()
	if !ok {
		return nil, errdefs.NotFoundf("save image %q: no such image", ref)
	}
	manifest, err := json.Marshal([]manifestEntry{{Config: id + ".json", RepoTags: []string{ref}, Layers: []string{}}})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{{id + ".json", []byte(`{"architecture":"amd64","os":"linux"}`)}, {"manifest.json", manifest}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}

var _ driver.ImageArchiver = (*Driver)(nil)
