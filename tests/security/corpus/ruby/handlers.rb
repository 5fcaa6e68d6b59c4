class UsersController < ApplicationController
  API_KEY = "sk_live_51HGaQ2eZvKYlo2C" # expect: hardcoded-credentials
  PASSWORD_PARAM = "password" # safe: hardcoded-credentials

  def index
    @users = User.where("name = '#{params[:name]}'") # expect: sql-injection
  end

  def search
    sql = "SELECT * FROM users WHERE email = '" + params[:email] + "'"
    @users = User.find_by_sql(sql) # expect: sql-injection
  end

  def safe_index
    @users = User.where("name = ?", params[:name]) # safe: sql-injection
  end

  def hash_index
    @users = User.where(name: params[:name]) # safe: sql-injection
  end

  def restore
    data = Marshal.load(Base64.decode64(cookies[:state])) # expect: insecure-deserialization
    render json: data
  end

  def parse
    render json: JSON.parse(request.body.read) # safe: insecure-deserialization
  end

  def archive
    system("tar czf backup.tgz #{params[:dir]}") # expect: command-injection
    `ls #{params[:dir]}` # expect: command-injection
  end

  def archive_safely
    system("tar", "czf", "backup.tgz", params[:dir]) # safe: command-injection
  end

  def calculate
    render plain: eval(params[:expression]).to_s # expect: code-injection
  end

  def download
    send_file File.join("/srv/files", params[:file]) # expect: path-traversal
  end

  def download_safely
    send_file File.join("/srv/files", File.basename(params[:file])) # safe: path-traversal
  end

  def proxy
    render plain: Net::HTTP.get(URI(params[:url])) # expect: ssrf
  end

  def hash_password(password)
    Digest::MD5.hexdigest(password) # expect: weak-password-hash
  end

  def checksum(data)
    Digest::MD5.hexdigest(data) # safe: weak-password-hash
  end

  def insecure_http(http)
    http.verify_mode = OpenSSL::SSL::VERIFY_NONE # expect: tls-verification-disabled
  end

  def secure_http(http)
    http.verify_mode = OpenSSL::SSL::VERIFY_PEER # safe: tls-verification-disabled
  end
end
