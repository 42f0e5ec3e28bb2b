{{/* The chart name, or nameOverride. */}}
{{- define "ratings-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the release's objects. Kept at 63 characters for label values; the release name is
used alone when it already contains the chart name, to avoid "ratings-operator-ratings-operator".
*/}}
{{- define "ratings-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels that select the controller pods: stable across upgrades. */}}
{{- define "ratings-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ratings-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/*
Labels on every object of the release, pod templates included. Nothing here may change with the
chart's version: Flux builds the chart from git with reconcileStrategy Revision, so every commit
is a new version (0.1.0+<commit>), and a label that followed it (helm.sh/chart) would restart the
controller on commits that change nothing deployed, a README for one.
*/}}
{{- define "ratings-operator.labels" -}}
{{ include "ratings-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ratings-operator
{{- end }}

{{- define "ratings-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ratings-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The operator image; the controller gives the same image to the experiments' pods. With a digest
the reference is repository:tag@digest, which pins the content (the tag then only informs).
*/}}
{{- define "ratings-operator.image" -}}
{{- $reference := printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $reference .Values.image.digest }}
{{- else }}
{{- $reference }}
{{- end }}
{{- end }}

{{/* The API server's addresses for the NetworkPolicies: required once they are enabled. */}}
{{- define "ratings-operator.apiServerCidrs" -}}
{{- if not .Values.networkPolicy.apiServer.cidrs }}
{{- fail "networkPolicy.apiServer.cidrs is required when networkPolicy.enabled is true: the API server's endpoint addresses (kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes)" }}
{{- end }}
{{- toYaml .Values.networkPolicy.apiServer.cidrs }}
{{- end }}
