// The local stack's pause program (no dependencies).
module ratings-operator/e2e/stack/modules/pause

go 1.26.0
