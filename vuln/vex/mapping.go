package vex

import govex "github.com/openvex/go-vex/pkg/vex"

// The tables below are the ones docs/vex.md documents; change both together.

// stateFromOpenVEX maps an OpenVEX status to a Palisade state.
func stateFromOpenVEX(s string) (string, bool) {
	switch govex.Status(s) {
	case govex.StatusNotAffected:
		return StateNotAffected, true
	case govex.StatusAffected:
		return StateExploitable, true
	case govex.StatusFixed:
		return StateResolved, true
	case govex.StatusUnderInvestigation:
		return StateInTriage, true
	}
	return "", false
}

// stateToOpenVEX maps a Palisade state to an OpenVEX status.
// false_positive has no OpenVEX status; it becomes not_affected with the
// justification vulnerable_code_not_present (see WriteOpenVEX).
func stateToOpenVEX(s string) govex.Status {
	switch s {
	case StateNotAffected, StateFalsePositive:
		return govex.StatusNotAffected
	case StateExploitable:
		return govex.StatusAffected
	case StateResolved:
		return govex.StatusFixed
	}
	return govex.StatusUnderInvestigation
}

// stateFromCycloneDX maps a CycloneDX analysis.state to a Palisade state.
// resolved_with_pedigree says how the fix is proven, not a different
// outcome, so it is resolved.
func stateFromCycloneDX(s string) (string, bool) {
	switch s {
	case StateResolved, "resolved_with_pedigree":
		return StateResolved, true
	case StateExploitable, StateInTriage, StateFalsePositive, StateNotAffected:
		return s, true
	}
	return "", false
}

// justificationFromOpenVEX maps an OpenVEX justification to the CycloneDX
// vocabulary. CycloneDX has no "component not present": the component's
// code being absent, code_not_present is the nearest.
func justificationFromOpenVEX(j govex.Justification) string {
	switch j {
	case govex.ComponentNotPresent, govex.VulnerableCodeNotPresent:
		return "code_not_present"
	case govex.VulnerableCodeNotInExecutePath:
		return "code_not_reachable"
	case govex.VulnerableCodeCannotBeControlledByAdversary:
		return "requires_environment"
	case govex.InlineMitigationsAlreadyExist:
		return "protected_by_mitigating_control"
	}
	return ""
}

// justificationToOpenVEX maps the CycloneDX vocabulary to OpenVEX's five.
// It is the inverse of justificationFromOpenVEX where that is one-to-one,
// so OpenVEX → Palisade → OpenVEX → Palisade is stable; the four
// CycloneDX values with no counterpart go to the nearest: exploits that
// need a configuration or environment the product lacks cannot be driven
// by an adversary; a missing dependency is a component not present;
// compiler, runtime and perimeter protections are mitigations (runtime
// and compiler ones built in, the perimeter one keeping the adversary
// away).
func justificationToOpenVEX(j string) govex.Justification {
	switch j {
	case "code_not_present":
		return govex.VulnerableCodeNotPresent
	case "code_not_reachable":
		return govex.VulnerableCodeNotInExecutePath
	case "requires_dependency":
		return govex.ComponentNotPresent
	case "requires_configuration", "requires_environment", "protected_at_perimeter":
		return govex.VulnerableCodeCannotBeControlledByAdversary
	case "protected_by_compiler", "protected_at_runtime", "protected_by_mitigating_control":
		return govex.InlineMitigationsAlreadyExist
	}
	return ""
}

// falsePositiveJustification is what a false_positive statement says in
// OpenVEX: a scanner matched the component but the vulnerable code is not
// in it, which is what nearly every false positive is.
const falsePositiveJustification = govex.VulnerableCodeNotPresent
