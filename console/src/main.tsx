// The web console: Ant Design layout, Chinese or English, pages under /console (client-side routes).
import { App as AntApp, ConfigProvider, Layout, Menu, Segmented, Space, Tag, Typography, Button } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { I18nProvider, useI18n, type Lang } from './i18n';
import { SessionGate, useSession } from './session';
import { DirectoryPage } from './pages/DirectoryPage';
import { PendingDeletionsPage } from './pages/PendingDeletionsPage';
import { RunDetailPage } from './pages/RunDetailPage';
import { RunHistoryPage } from './pages/RunHistoryPage';
import { TaskFormPage } from './pages/TaskFormPage';
import { TasksPage } from './pages/TasksPage';

function LanguageSwitch() {
  const { lang, setLang } = useI18n();
  return <Segmented<Lang> size="small" value={lang} onChange={setLang} options={[{ label: '中文', value: 'zh' }, { label: 'EN', value: 'en' }]} data-testid="language" />;
}

function Shell() {
  const { t } = useI18n();
  const { name, role, signOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const section = location.pathname.startsWith('/pending-deletions') ? 'deletions' : location.pathname.startsWith('/directory') ? 'directory' : 'tasks';
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 24, background: '#fff', borderBottom: '1px solid #f0f0f0' }}>
        <Typography.Text strong style={{ fontSize: 18, whiteSpace: 'nowrap' }}>
          {t('app.title')}
        </Typography.Text>
        <Menu
          mode="horizontal"
          selectedKeys={[section]}
          style={{ flex: 1, borderBottom: 'none' }}
          onClick={({ key }) => navigate(key === 'deletions' ? '/pending-deletions' : key === 'directory' ? '/directory' : '/tasks')}
          items={[
            { key: 'tasks', label: t('nav.tasks') },
            { key: 'deletions', label: t('nav.deletions') },
            { key: 'directory', label: t('nav.directory') },
          ]}
        />
        <Space>
          <LanguageSwitch />
          <Typography.Text data-testid="whoami">{name}</Typography.Text>
          <Tag color="blue" data-testid="role">
            {t(`role.${role}`)}
          </Tag>
          <Button size="small" onClick={signOut}>
            {t('nav.signOut')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout.Content style={{ padding: 24 }}>
        <Routes>
          <Route path="/tasks" element={<TasksPage />} />
          <Route path="/tasks/new" element={<TaskFormPage />} />
          <Route path="/tasks/:id/edit" element={<TaskFormPage />} />
          <Route path="/tasks/:id/runs" element={<RunHistoryPage />} />
          <Route path="/runs/:id" element={<RunDetailPage />} />
          <Route path="/pending-deletions" element={<PendingDeletionsPage />} />
          <Route path="/directory" element={<DirectoryPage />} />
          <Route path="*" element={<Navigate to="/tasks" replace />} />
        </Routes>
      </Layout.Content>
    </Layout>
  );
}

function Root() {
  const { lang } = useI18n();
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS}>
      <AntApp>
        <BrowserRouter basename="/console">
          <SessionGate
            header={
              <div style={{ display: 'flex', justifyContent: 'flex-end', padding: 16 }}>
                <LanguageSwitch />
              </div>
            }
          >
            <Shell />
          </SessionGate>
        </BrowserRouter>
      </AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <I18nProvider>
      <Root />
    </I18nProvider>
  </StrictMode>,
);
