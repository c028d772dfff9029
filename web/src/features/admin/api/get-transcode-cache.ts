import { useQuery } from '@tanstack/react-query';
import { client, unwrap } from '@/lib/api-client';

export const getTranscodeCache = async () => unwrap(await client.GET('/transcode/cache'));

export const useTranscodeCache = () => useQuery({ queryKey: ['transcode-cache'], queryFn: getTranscodeCache });
