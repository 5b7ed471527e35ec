package schema

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"

	"github.com/zun-go/zun/container"
)

// parseMounts: array|null of objects {type, source, destination, size},
// nothing else, with destination and one of source or size (Zun's anyOf).
//
//   - type "volume" (the default): source names a Cinder volume (name or
//     id) to attach, or size, in GiB, asks for a new one removed with the
//     container. Source wins when both are given, as in Zun.
//   - type "bind": source is the Base64 content of a file injected at
//     destination (python-zunclient encodes it). It is kept encoded; the
//     compute host decodes it.
//
// Zun's schema lets through what it then fails on, on the compute host or
// with a 500; refused here: a type other than volume and bind, a volume
// with neither a source nor a size, a bind without source or with
// content that is not Base64, a size that is not a positive number of
// GiB, an empty destination.
func parseMounts(c *creator, v any) error {
	if v == nil {
		return nil
	}
	items, err := asArray("mounts", v)
	if err != nil {
		return err
	}
	var mounts []container.Mount
	for i, item := range items {
		m, err := parseMount(fmt.Sprintf("mounts[%d]", i), item)
		if err != nil {
			return err
		}
		mounts = append(mounts, m)
	}
	c.c.Mounts = mounts
	return nil
}

func parseMount(path string, item any) (container.Mount, error) {
	var mnt container.Mount
	obj, err := asObject(path, item)
	if err != nil {
		return mnt, err
	}
	for _, k := range sortedKeys(obj) {
		val := obj[k]
		kp := path + "." + k
		switch k {
		case "type", "source", "destination":
			s, err := asString(kp, val)
			if err != nil {
				return mnt, err
			}
			switch k {
			case "type":
				mnt.Type = s
			case "source":
				mnt.Source = s
			default:
				mnt.Destination = s
			}
		case "size":
			n, ok := integer(val, true)
			if !ok || n < 1 || n > math.MaxInt32 {
				return mnt, fieldError(kp, val, "The size of a new volume is a whole number of GiB, at least 1: an integer or a string of digits.")
			}
			mnt.Size = strconv.FormatInt(n, 10)
		default:
			return mnt, fieldError(path, item, "Unexpected key '%s': a mount has only type, source, destination and size.", k)
		}
	}
	_, hasSource := obj["source"]
	_, hasSize := obj["size"]
	if _, ok := obj["destination"]; !ok || !(hasSource || hasSize) {
		return mnt, fieldError(path, item, "A mount has a destination and a source, or a destination and a size.")
	}
	if mnt.Destination == "" {
		return mnt, fieldError(path+".destination", "", "The destination is a path in the container.")
	}
	if mnt.Type == "" {
		mnt.Type = "volume"
	}
	switch mnt.Type {
	case "volume":
		if mnt.Source == "" && mnt.Size == "" {
			return mnt, fieldError(path, item, "A volume mount names a volume in source, or asks for a new one with size.")
		}
	case "bind":
		if !hasSource {
			return mnt, fieldError(path, item, "A bind mount has the Base64 content of the file to inject in source.")
		}
		if !isBase64(mnt.Source) {
			return mnt, fieldError(path+".source", mnt.Source, "The source of a bind mount is the Base64 content of the file to inject.")
		}
		mnt.Size = ""
	default:
		return mnt, fieldError(path+".type", mnt.Type, "The type of a mount is 'volume' or 'bind'.")
	}
	return mnt, nil
}

// isBase64 reports whether s is standard, padded Base64; line breaks are
// allowed, as Python's b64decode allows them.
func isBase64(s string) bool {
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}
