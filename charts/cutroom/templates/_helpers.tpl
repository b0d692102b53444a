{{/* Names, labels and the values several templates share. */}}

{{- define "cutroom.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/*
The release's base name. At most 40 characters, so that "<fullname>-<component>" (the longest
suffix is "-operator-metrics") stays within the 63 that Service names and label values allow, and
a StatefulSet's pods' revision label fits too; a longer name is cut and gets a hash of the whole,
so two long release names never meet.
*/}}
{{- define "cutroom.fullname" -}}
{{- $name := include "cutroom.name" . -}}
{{- $full := .Values.fullnameOverride -}}
{{- if not $full -}}
{{- $full = ternary .Release.Name (printf "%s-%s" .Release.Name $name) (contains $name .Release.Name) -}}
{{- end -}}
{{- if le (len $full) 40 -}}
{{- $full | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" ($full | trunc 33 | trimSuffix "-") (sha256sum $full | trunc 6) -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object the chart makes. */}}
{{- define "cutroom.labels" -}}
app.kubernetes.io/name: {{ include "cutroom.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cutroom
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "root" $ "component" "control-plane"). */}}
{{- define "cutroom.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cutroom.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The labels of one component's objects, each key once: (dict "root" $ "component" "x"). */}}
{{- define "cutroom.componentLabels" -}}
{{- include "cutroom.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
A pod template's labels: the component's, then the user's `extra` (never replacing ours, so a
selector always matches), each key once: (dict "root" $ "component" "x" "extra" .Values.x.podLabels).
*/}}
{{- define "cutroom.podLabels" -}}
{{- $ours := fromYaml (include "cutroom.componentLabels" .) -}}
{{- toYaml (merge $ours (.extra | default dict)) -}}
{{- end -}}

{{/* Name of a component's object: (dict "root" $ "component" "control-plane"). */}}
{{- define "cutroom.componentName" -}}
{{- printf "%s-%s" (include "cutroom.fullname" .root) .component -}}
{{- end -}}

{{- define "cutroom.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{/* An image reference: (dict "root" $ "image" "control-plane" "suffix" "" "digest" "sha256:..."). */}}
{{- define "cutroom.image" -}}
{{- $ref := printf "%s/%s/%s:%s%s" .root.Values.image.registry .root.Values.image.repository .image (include "cutroom.tag" .root) (.suffix | default "") -}}
{{- if .digest -}}{{- printf "%s@%s" $ref .digest -}}{{- else -}}{{- $ref -}}{{- end -}}
{{- end -}}

{{- define "cutroom.controlPlaneImage" -}}
{{- include "cutroom.image" (dict "root" . "image" "control-plane" "digest" .Values.image.digest.controlPlane) -}}
{{- end -}}

{{- define "cutroom.renderNodeImage" -}}
{{- include "cutroom.image" (dict "root" . "image" "render-node" "digest" .Values.image.digest.renderNode) -}}
{{- end -}}

{{- define "cutroom.renderNodeGpuImage" -}}
{{- include "cutroom.image" (dict "root" . "image" "render-node" "suffix" "-nvidia" "digest" .Values.image.digest.renderNodeNvidia) -}}
{{- end -}}

{{- define "cutroom.tasksNamespace" -}}
{{- .Values.renderNode.namespace | default .Release.Namespace -}}
{{- end -}}

{{- define "cutroom.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "cutroom.fullname" .)) -}}
{{- end -}}

{{/* Where render nodes reach the control plane's /internal API: its Service, in-cluster. */}}
{{- define "cutroom.internalUrl" -}}
{{- printf "http://%s-control-plane.%s.svc:%v" (include "cutroom.fullname" .) .Release.Namespace .Values.controlPlane.service.port -}}
{{- end -}}

{{/* A map as the `key=value,...` list the control plane reads; `none` when empty. */}}
{{- define "cutroom.labelList" -}}
{{- $pairs := list -}}
{{- range $key, $value := . -}}
{{- $pairs = append $pairs (printf "%s=%s" $key $value) -}}
{{- end -}}
{{- if $pairs -}}{{- join "," $pairs -}}{{- else -}}none{{- end -}}
{{- end -}}

{{/* Tolerations as `key[=value]:Effect,...`; `none` when empty. */}}
{{- define "cutroom.tolerationList" -}}
{{- $items := list -}}
{{- range . -}}
{{- $key := .key -}}
{{- if .value -}}{{- $key = printf "%s=%s" .key .value -}}{{- end -}}
{{- $items = append $items (printf "%s:%s" $key .effect) -}}
{{- end -}}
{{- if $items -}}{{- join "," $items -}}{{- else -}}none{{- end -}}
{{- end -}}

{{/*
OpenShift assigns each namespace's pods a UID of its own range, and its restricted SCC refuses
a fixed one: there the chart leaves the UID, GID and fsGroup to the platform. `auto` detects
OpenShift by its security API.
*/}}
{{- define "cutroom.openshift" -}}
{{- $mode := .Values.compatibility.openshift -}}
{{- if or (eq $mode "force") (and (eq $mode "auto") (.Capabilities.APIVersions.Has "security.openshift.io/v1")) -}}true{{- end -}}
{{- end -}}

{{/* Pod and container security for every Cutroom component: non-root, read-only root. */}}
{{- define "cutroom.podSecurityContext" -}}
runAsNonRoot: true
{{- if not (include "cutroom.openshift" .) }}
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "cutroom.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop:
    - ALL
{{- end -}}

{{/* Proxy variables, in both spellings, for every Cutroom container; empty without a proxy. */}}
{{- define "cutroom.proxyEnv" -}}
{{- with .Values.proxy -}}
{{- if or .httpProxy .httpsProxy }}
{{- range $name, $value := dict "HTTP_PROXY" .httpProxy "HTTPS_PROXY" .httpsProxy "NO_PROXY" .noProxy "http_proxy" .httpProxy "https_proxy" .httpsProxy "no_proxy" .noProxy }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
# Node's own HTTP clients follow the variables above only when asked to.
- name: NODE_USE_ENV_PROXY
  value: "1"
{{- end }}
{{- end -}}
{{- end -}}

{{/*
Topology spread of one component, with the component's selector filled in where a constraint
has none: (dict "root" $ "component" "x" "constraints" .Values.x.topologySpreadConstraints).
*/}}
{{- define "cutroom.topologySpread" -}}
{{- $selector := fromYaml (include "cutroom.selectorLabels" .) -}}
{{- range .constraints }}
- {{ toYaml (merge (dict) . (dict "labelSelector" (dict "matchLabels" $selector))) | nindent 2 | trim }}
{{- end }}
{{- end -}}

{{/*
The pod spec fields the control plane and the operator share: service account, priority,
placement and spread, pull secrets. (dict "root" $ "component" "x" "values" .Values.x)
*/}}
{{- define "cutroom.podPlacement" -}}
{{- $root := .root -}}
serviceAccountName: {{ include "cutroom.componentName" (dict "root" $root "component" .component) }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $root.Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- include "cutroom.topologySpread" (dict "root" $root "component" $.component "constraints" .) | trim | nindent 2 }}
{{- end }}
{{- end -}}
