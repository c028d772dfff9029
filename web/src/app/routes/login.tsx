import { useNavigate } from 'react-router';
import { LoginForm } from '@/features/auth/components/login-form';
import { useTitle } from './use-title';

export function LoginRoute() {
  const navigate = useNavigate();
  useTitle('Sign in');
  return <LoginForm onDone={() => navigate('/')} />;
}
