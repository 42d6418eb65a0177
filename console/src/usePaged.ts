// A server-paged list: the page the API answers for (offset, limit) and the filters, reloaded on change.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from './api';

export interface Paged<T> {
  page: Page<T> | null;
  loading: boolean;
  error: string | null;
  pageNo: number;
  pageSize: number;
  setPage(pageNo: number, pageSize: number): void;
  reload(): void;
}

export function usePaged<T>(load: (query: { limit: number; offset: number }) => Promise<Page<T>>, deps: unknown[], initialSize = 20): Paged<T> {
  const [page, setPageData] = useState<Page<T> | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [pageNo, setPageNo] = useState(1);
  const [pageSize, setPageSize] = useState(initialSize);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  // Filters changed: back to the first page.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller's filters are the deps
  useEffect(() => setPageNo(1), deps);
  useEffect(() => {
    const call = ++latest.current;
    setLoading(true);
    load({ limit: pageSize, offset: (pageNo - 1) * pageSize })
      .then((data) => {
        if (call !== latest.current) return;
        setPageData(data);
        setError(null);
      })
      .catch((err: unknown) => call === latest.current && setError(err instanceof Error ? err.message : String(err)))
      .finally(() => call === latest.current && setLoading(false));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- load is recreated on every render; its inputs are in deps
  }, [pageNo, pageSize, tick, ...deps]);
  const setPage = useCallback((no: number, size: number) => {
    setPageNo(no);
    setPageSize(size);
  }, []);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { page, loading, error, pageNo, pageSize, setPage, reload };
}
