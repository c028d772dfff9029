/** An empty library says how to fill it: the `aws s3 cp` line for its prefix. */
import { EmptyState } from '@/components/ui/status';

export function EmptyLibrary({ bucket, prefix }: { bucket: string; prefix: string }) {
  return (
    <EmptyState title="This library is empty.">
      <p>Copy files under its prefix; they appear here as they are scanned:</p>
      <pre className="code">
        <code>aws s3 cp ./Some.Movie.2024.mkv s3://{bucket}/{prefix}</code>
      </pre>
    </EmptyState>
  );
}
