/** Sign in: shown when the API answers 401 (with authentication on). */
import { useState } from 'react';
import { Field } from '@/components/ui/field';
import { ErrorMessage } from '@/components/ui/status';
import { useLogin } from '../api/login';

export function LoginForm({ onDone }: { onDone?: () => void }) {
  const login = useLogin();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  return (
    <form
      className="login"
      aria-label="Sign in"
      onSubmit={(e) => {
        e.preventDefault();
        login.mutate({ username, password }, { onSuccess: () => onDone?.() });
      }}
    >
      <h1>Sign in to Viewra</h1>
      <Field label="User name">
        {(id) => <input id={id} autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />}
      </Field>
      <Field label="Password">
        {(id) => (
          <input id={id} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        )}
      </Field>
      <button type="submit" className="btn btn-primary" disabled={login.isPending}>
        {login.isPending ? 'Signing in…' : 'Sign in'}
      </button>
      {login.error && <ErrorMessage error={login.error} />}
    </form>
  );
}
