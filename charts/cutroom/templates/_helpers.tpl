{{/* Names, labels and the values several templates share. */}}

{{- define "cutroom.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cutroom.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: cutroom
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "root" $ "component" "control-plane"). */}}
{{- define "cutroom.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "cutroom.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "cutroom.controlPlaneImage" -}}
{{- printf "%s/%s/control-plane:%s" .Values.image.registry .Values.image.repository (include "cutroom.tag" .) -}}
{{- end -}}

{{- define "cutroom.renderNodeImage" -}}
{{- printf "%s/%s/render-node:%s" .Values.image.registry .Values.image.repository (include "cutroom.tag" .) -}}
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

{{/* Pod and container security for every Cutroom component: non-root, read-only root. */}}
{{- define "cutroom.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
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
