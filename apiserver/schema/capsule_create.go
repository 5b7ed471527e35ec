package schema

// CapsuleCreate reads the body of POST /v1/capsules, {"template": T}, as
// Zun's capsule_create schema does: an object with "template" and nothing
// else. It returns T as decoded (an object, or a string holding one), for
// capsule.Parse to check.
func CapsuleCreate(body []byte) (any, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(obj) {
		if k != "template" {
			return nil, bodyError("Invalid input: additional properties are not allowed ('%s' was unexpected).", k)
		}
	}
	tpl, ok := obj["template"]
	if !ok {
		return nil, bodyError("Invalid input: 'template' is a required property.")
	}
	return tpl, nil
}
