// Package deps pins modules that packages under construction will import,
// so that parallel work does not race on go.mod. Removed once they do.
package deps

import _ "golang.org/x/crypto/bcrypt"
