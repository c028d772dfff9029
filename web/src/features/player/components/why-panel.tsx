/** Why the item plays the way it does: the method, every reason, the target. */
import type { Session } from '../lib/player-machine';

type Decision = {
  reasons?: string[];
  container?: string | null;
  profile_name?: string;
  subtitle_delivery?: string | null;
  target?: {
    container?: string;
    protocol?: string;
    video_codec?: string | null;
    audio_codec?: string | null;
    audio_channels?: number | null;
    video_bitrate?: number | null;
  } | null;
};

export function WhyPanel({ session }: { session: Session }) {
  const d = session.decision as Decision;
  const t = d.target;
  return (
    <details className="why-panel">
      <summary>
        Why {session.method}?
      </summary>
      <dl>
        <dt>Method</dt>
        <dd data-testid="play-method">{session.method}</dd>
        <dt>Reasons</dt>
        <dd>{d.reasons?.length ? d.reasons.join(', ') : 'none: the browser plays the file as it is'}</dd>
        <dt>Container</dt>
        <dd>{d.container ?? '–'}</dd>
        {t && (
          <>
            <dt>Target</dt>
            <dd>
              {[t.protocol, t.container, t.video_codec && `video ${t.video_codec}`, t.audio_codec && `audio ${t.audio_codec}`, t.audio_channels && `${t.audio_channels} ch`]
                .filter(Boolean)
                .join(' · ')}
            </dd>
          </>
        )}
        {d.subtitle_delivery && (
          <>
            <dt>Subtitles</dt>
            <dd>{d.subtitle_delivery}</dd>
          </>
        )}
        <dt>Profile</dt>
        <dd>{d.profile_name || '–'}</dd>
      </dl>
    </details>
  );
}
