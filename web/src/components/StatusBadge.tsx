import type { JobStatus } from "../api";
import { translateOr, useT } from "../i18n";

export function StatusBadge({ status }: { status: JobStatus | null }) {
  const t = useT();
  if (!status) return <span className="muted">—</span>;
  return (
    <span className={`badge status-${status}`} data-status={status}>
      {translateOr(t.lang, `status.${status}`, status)}
    </span>
  );
}
