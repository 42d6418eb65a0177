// Sign-in with an API token, and what its role may do: the UI shows only those controls (the API
// checks every call anyway). The token is kept in sessionStorage (api.ts), never in a cookie or URL.
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiFailure, session, whenUnauthorized, type Role } from './api';
import { useI18n } from './i18n';

export interface Abilities {
  /** create, edit, delete, enable, run tasks; test connections; retry failed items */
  editTasks: boolean;
  /** execute or cancel staged deletions */
  decideDeletions: boolean;
  /** deletion protection, the guard, offboarding, second approver */
  admin: boolean;
}

export function abilitiesOf(role: Role): Abilities {
  return { editTasks: role === 'admin' || role === 'operator', decideDeletions: role === 'admin' || role === 'approver', admin: role === 'admin' };
}

interface SignedIn {
  name: string;
  role: Role;
  can: Abilities;
  signOut(): void;
}

const SessionContext = createContext<SignedIn | null>(null);

export function useSession(): SignedIn {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in SessionGate');
  return value;
}

function SignIn({ onSignedIn }: { onSignedIn(token: string, who: { name: string; role: Role }): void }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async ({ token }: { token: string }) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(token.trim(), await api.me(token.trim()));
    } catch (err) {
      setError(t('signIn.refused', { message: err instanceof ApiFailure ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ display: 'flex', justifyContent: 'center', paddingTop: '12vh' }}>
      <Card style={{ width: 440 }} title={<Typography.Title level={4} style={{ margin: 0 }}>{t('signIn.title')}</Typography.Title>}>
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item name="token" label={t('signIn.token')} extra={t('signIn.tokenHelp')} rules={[{ required: true, whitespace: true, message: t('signIn.required') }]}>
            <Input.Password autoFocus autoComplete="off" data-testid="token-input" />
          </Form.Item>
          {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
          <Button type="primary" htmlType="submit" loading={busy} block data-testid="sign-in">
            {t('signIn.submit')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}

/** Children render only once a token is signed in; a 401 later (token revoked or expired) signs out. */
export function SessionGate({ children, header }: { children: ReactNode; header: ReactNode }) {
  const [who, setWho] = useState<{ name: string; role: Role } | null>(null);
  const [checking, setChecking] = useState(() => session.token() !== null);
  const signOut = useCallback(() => {
    session.clear();
    setWho(null);
  }, []);
  useEffect(() => {
    whenUnauthorized(signOut);
    if (!session.token()) return;
    api
      .me()
      .then(setWho, () => session.clear())
      .finally(() => setChecking(false));
  }, [signOut]);
  if (checking) return null;
  if (!who) {
    return (
      <>
        {header}
        <SignIn
          onSignedIn={(token, identity) => {
            session.save(token);
            setWho(identity);
          }}
        />
      </>
    );
  }
  return <SessionContext.Provider value={{ ...who, can: abilitiesOf(who.role), signOut }}>{children}</SessionContext.Provider>;
}
